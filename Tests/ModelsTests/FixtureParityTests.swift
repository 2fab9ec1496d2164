import Foundation
import Testing
import TestSupport
@testable import Models
import Torch

/// Every fixture folder's U-Net forward against the Python reference stack (diffusers 0.21.4 and,
/// where present, the fork's MDFormer), within the folder's own tolerance.
@Suite struct FixtureParityTests {
    @Test func everyFixtureFolderMatchesItsReferenceForward() throws {
        for folder in try Fixtures.modelFolders() {
            let name = Fixtures.describe(folder)
            let tolerance = try Self.ioTolerance(folder)
            let io = try Safetensors.load(folder.appendingPathComponent("io.safetensors").path)
            let model = try UNetCheckpoint.load(from: folder.appendingPathComponent("unet")).model
            let output = withNoGrad { model(io["sample"]!, timesteps: io["timestep"]!) }
            #expect(output.shape == io["expected"]!.shape, "\(name): output shape")
            let error = (output - io["expected"]!).abs().max().item
            #expect(error <= tolerance, "\(name): U-Net forward differs from the reference by \(error) (tolerance \(tolerance))")
        }
    }

    static func ioTolerance(_ folder: URL) throws -> Double {
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("meta.json")))
        let tolerance = ((meta as? [String: Any])?["tolerance"] as? [String: Any])?["io_max_abs"] as? Double
        return try #require(tolerance, "\(Fixtures.describe(folder))/meta.json has no tolerance.io_max_abs")
    }
}
