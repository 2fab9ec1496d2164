import Foundation
import ModelCard
import Testing
import TestSupport
@testable import Models
import Torch

/// The published SegMaDiff model (docs/python-reference.md §3.1, Appendix A.1), built on the CPU but never run.
@Suite struct FullSizeModelTests {
    @Test func keysAndShapesEqualTheForksListing() throws {
        let model = UNet2DModel(config: .segmadiff(sampleSize: 256, inChannels: 2, outChannels: 1),
                                mdformer: MDFormerConfig(variant: .reference))
        let actual = Dictionary(uniqueKeysWithValues: model.namedParameters().map { ($0.key, $0.tensor.shape) })
        #expect(actual.count == 461)
        for listing in try Fixtures.files(named: "keys-segmadiff-256.txt") {
            let name = Fixtures.describe(listing)
            let expected = try Self.keysAndShapes(listing)
            #expect(expected.count == 461, "\(name)")
            #expect(Set(actual.keys).symmetricDifference(expected.keys).sorted() == [], "\(name)")
            for (key, shape) in expected where actual[key] != nil {
                #expect(actual[key] == shape, "\(name): \(key)")
            }
        }
        #expect(model.parameterCount == 115_292_305)
        #expect(model.mdformer!.parameterCount == 1_622_544)
        let parts = Dictionary(uniqueKeysWithValues: model.mdformer!.namedChildren().map { ($0.key, $0.module.parameterCount) })
        #expect(parts == ["in_proj": 1_050_624, "dw_conv": 10_240, "x_proj": 33_792, "dt_proj": 2_048, "out_proj": 524_800])
    }

    @Test(arguments: [(2, 1, 113_669_761), (3, 3, 113_673_219)])
    func plainUNetHasTheSeedsParameterAndKeyCount(channels: (Int, Int, Int)) {
        let model = UNet2DModel(config: .segmadiff(sampleSize: 256, inChannels: channels.0, outChannels: channels.1),
                                mdformer: nil)
        #expect(model.parameterCount == channels.2)
        let keys = model.namedParameters().map(\.key)
        #expect(keys.count == 450)
        #expect(keys.contains("mid_block.resnets.1.conv2.weight") && keys.contains("mid_block.attentions.0.to_out.0.bias"))
    }

    /// A listing written by scripts/fixtures/make_parity_fixtures.py: `key DxDxD` lines, `#` comments.
    static func keysAndShapes(_ listing: URL) throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for line in try String(contentsOf: listing, encoding: .utf8).split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            shapes[String(parts[0])] = parts[1].split(separator: "x").map { Int($0)! }
        }
        return shapes
    }
}
