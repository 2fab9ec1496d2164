import Foundation
import TestSupport
import Testing
@testable import Torch

@Suite struct SafetensorsTests {
    /// Every fixture checkpoint reads: keys, shapes and values agree with an independent parse of
    /// its header, and writing it back then reading again is lossless.
    @Test func readsEveryFixtureCheckpointAndRoundTrips() throws {
        let scratch = TemporaryFolder()
        for (index, folder) in try Fixtures.modelFolders().enumerated() {
            let name = Fixtures.describe(folder)
            let path = folder.appendingPathComponent("unet/diffusion_pytorch_model.safetensors").path
            let file = try Safetensors.File(path: path)
            let header = try rawHeader(path)
            #expect(Set(file.keys) == Set(header.keys), "\(name)")
            #expect(file.keys.contains("conv_in.weight"), "\(name)")
            for key in file.keys {
                let entry = header[key] as! [String: Any]
                #expect(file.shape(key) == entry["shape"] as? [Int], "\(name): \(key)")
            }
            // conv_in.weight's first value, decoded by hand from the raw bytes.
            let entry = header["conv_in.weight"] as! [String: Any]
            let first = try firstFloat(path, offset: (entry["data_offsets"] as! [Int])[0])
            #expect(file.tensor("conv_in.weight")!.reshaped(-1).scalars(as: Float.self)[0] == first, "\(name)")

            let tensors = file.tensors()
            let copy = scratch.url.appendingPathComponent("\(index).safetensors").path
            try Safetensors.save(tensors, to: copy, metadata: ["format": "pt"])
            let reread = try Safetensors.File(path: copy)
            #expect(reread.metadata["format"] == "pt", "\(name)")
            for (key, tensor) in tensors {
                let back = reread.tensor(key)!
                #expect(back.dtype == tensor.dtype && back.bytes() == tensor.bytes(), "\(name): \(key)")
            }
        }
    }

    @Test func readsTheSchedulerFixture() throws {
        for url in try Fixtures.files(named: "schedulers.safetensors") {
            let file = try Safetensors.File(path: url.path)
            let alphas = try #require(file.tensor("alphas_cumprod"), "\(Fixtures.describe(url))")
            #expect(alphas.shape == [1000], "\(Fixtures.describe(url))")
            #expect(Swift.abs(alphas.scalars(as: Float.self)[500] - 0.07779666) < 1e-7, "\(Fixtures.describe(url))")
        }
    }

    /// The streamed writer keeps the format byte for byte: sorted keys, padded header, metadata,
    /// row-major data of tensors in any layout (transposed, channels-last, empty).
    @Test func streamedSaveWritesTheEncodedBytes() throws {
        let scratch = TemporaryFolder()
        let grid = Tensor((0..<24).map(Float.init), shape: [1, 2, 3, 4])
        let tensors: [String: Tensor] = [
            "b.transposed": Tensor((0..<6).map(Float.init), shape: [2, 3]).transposed(0, 1),
            "a.channels_last": grid.contiguous(.channelsLast),
            "c.empty": Tensor([Float](), shape: [0, 3]),
            "d.int": Tensor([1, 2, 3] as [Int64], shape: [3]),
        ]
        let path = scratch.url.appendingPathComponent("streamed.safetensors").path
        try Safetensors.save(tensors, to: path, metadata: ["global_step": "7"])
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Safetensors.encode(tensors, metadata: ["global_step": "7"]))
        let back = try Safetensors.File(path: path)
        #expect(back.metadata == ["global_step": "7"])
        #expect(back.tensor("b.transposed")!.scalars(as: Float.self) == [0, 3, 1, 4, 2, 5])
        #expect(back.tensor("a.channels_last")!.scalars(as: Float.self) == (0..<24).map(Float.init))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["streamed.safetensors"])
    }

    @Test func roundTripsEveryDtype() throws {
        let scratch = TemporaryFolder()
        let base = Tensor([0, 1, 2, 3, 250, 7] as [Float], shape: [2, 3])
        var tensors: [String: Tensor] = [:]
        for dtype in [DType.float32, .float16, .bfloat16, .float64, .int64, .int32, .uint8, .bool] {
            tensors["t_\(dtype)"] = base.to(dtype)
        }
        let path = scratch.url.appendingPathComponent("all.safetensors").path
        try Safetensors.save(tensors, to: path)
        let back = try Safetensors.load(path)
        for (key, tensor) in tensors {
            #expect(back[key]!.dtype == tensor.dtype && back[key]!.bytes() == tensor.bytes(), "\(key)")
        }
    }

    @Test func rejectsTruncatedFilesByName() throws {
        let scratch = TemporaryFolder()
        let path = scratch.url.appendingPathComponent("broken.safetensors").path
        try Data([200, 0, 0, 0, 0, 0, 0, 0, 123]).write(to: URL(fileURLWithPath: path))
        #expect(throws: Safetensors.FormatError.self) { try Safetensors.File(path: path) }
        do { _ = try Safetensors.File(path: path) } catch { #expect("\(error)".contains("broken.safetensors")) }
    }

    private func rawHeader(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        var header = try JSONSerialization.jsonObject(with: data.subdata(in: 8..<(8 + Int(n)))) as! [String: Any]
        header["__metadata__"] = nil
        return header
    }

    private func firstFloat(_ path: String, offset: Int) throws -> Float {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        let n = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        return data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8 + n + offset, as: Float.self) }
    }
}
