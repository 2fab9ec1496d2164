import Foundation
import ModelCard
import Testing
import TestSupport
@testable import Models
import Torch

@Suite struct CheckpointTests {
    /// The project's own fixtures: unet-tiny (plain, conv_in [32, 2, 3, 3]) and segmadiff-tiny (the fork's MDFormer).
    static func fixtureUNet(_ name: String) -> URL { Fixtures.ownUNet(name) }

    /// A copy of a fixture's unet/ folder whose weights `edit` may change.
    static func copyOfFixture(_ name: String, into folder: TemporaryFolder,
                              editing edit: (inout [String: Tensor]) -> Void = { _ in }) throws -> URL {
        let source = fixtureUNet(name), target = folder.url.appendingPathComponent("unet")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source.appendingPathComponent(UNetConfig.fileName),
                                         to: target.appendingPathComponent(UNetConfig.fileName))
        var weights = try Safetensors.load(source.appendingPathComponent(UNetCheckpoint.weightsFileName).path)
        edit(&weights)
        try Safetensors.save(weights, to: target.appendingPathComponent(UNetCheckpoint.weightsFileName).path)
        return target
    }

    static func forward(_ model: UNet2DModel, inChannels: Int = 2, size: Int = 16) -> Tensor {
        let x = Tensor.randn([2, inChannels, size, size], generator: Generator(seed: 5))
        return withNoGrad { model(x, timesteps: Tensor([3, 700] as [Int64])) }
    }

    @Test func variantIsReadOffTheKeysWithoutSegmadiffJSON() throws {
        let segmadiff = try UNetCheckpoint.load(from: Self.fixtureUNet("segmadiff-tiny"))
        #expect(segmadiff.card == nil)
        #expect(segmadiff.model.mdformerConfig?.variant == .reference)
        #expect(segmadiff.model.mdformer?.aLog.shape == [16])
        let plain = try UNetCheckpoint.load(from: Self.fixtureUNet("unet-tiny"))
        #expect(plain.model.mdformer == nil)
    }

    @Test(arguments: ["unet-tiny", "segmadiff-tiny"])
    func legacyAttentionNamesLoadToTheSameModel(fixture: String) throws {
        let folder = TemporaryFolder()
        var renamed = 0
        let unet = try Self.copyOfFixture(fixture, into: folder) { weights in
            for key in weights.keys where key.contains(".attentions.") {
                for (new, old) in [("to_q", "query"), ("to_k", "key"), ("to_v", "value"), ("to_out.0", "proj_attn")]
                where key.contains(".\(new).") {
                    weights[key.replacingOccurrences(of: ".\(new).", with: ".\(old).")] = weights.removeValue(forKey: key)
                    renamed += 1
                }
            }
        }
        #expect(renamed > 0)
        let legacy = try UNetCheckpoint.load(from: unet).model
        let current = try UNetCheckpoint.load(from: Self.fixtureUNet(fixture)).model
        let size = current.config.sampleSize!
        #expect(Self.forward(legacy, size: size).eq(Self.forward(current, size: size)).all().item == 1)
        // Saving writes the current names.
        let resaved = folder.url.appendingPathComponent("resaved")
        try UNetCheckpoint.save(legacy, card: nil, to: resaved)
        let keys = try Safetensors.File(path: resaved.appendingPathComponent(UNetCheckpoint.weightsFileName).path).keys
        #expect(!keys.contains { $0.contains(".query.") || $0.contains(".proj_attn.") })
        #expect(keys.contains { $0.hasSuffix(".to_out.0.weight") })
    }

    @Test(arguments: ["unet-tiny", "segmadiff-tiny"])
    func saveThenLoadIsBitIdenticalAndWritesDiffusersConfig(fixture: String) throws {
        let original = try UNetCheckpoint.load(from: Self.fixtureUNet(fixture)).model
        let folder = TemporaryFolder()
        let card = ModelCard(mdformer: nil, maskEncoding: .seed, numSegmentationClasses: 4)
        try UNetCheckpoint.save(original, card: card, to: folder.url)
        let reloaded = try UNetCheckpoint.load(from: folder.url)
        #expect(reloaded.card?.mdformer == original.mdformerConfig, "segmadiff.json records the model's MDFormer")
        #expect(reloaded.card?.maskEncoding == .seed)
        let size = original.config.sampleSize!
        #expect(Self.forward(reloaded.model, size: size).eq(Self.forward(original, size: size)).all().item == 1)
        let written = try String(contentsOf: folder.url.appendingPathComponent("config.json"), encoding: .utf8)
        let fromDiffusers = try String(contentsOf: Self.fixtureUNet(fixture).appendingPathComponent("config.json"), encoding: .utf8)
        #expect(written == fromDiffusers, "config.json as diffusers writes it")
    }

    /// A segmadiff-variant model saved without segmadiff.json is still recognised by its keys.
    @Test func segmadiffVariantRoundTripsThroughItsKeys() throws {
        let model = UNet2DModel(config: TinyModels.config(), mdformer: MDFormerConfig(variant: .segmadiff))
        withNoGrad { model.mdformer!.dytAlpha!.fill(0.8) }
        let folder = TemporaryFolder()
        try UNetCheckpoint.save(model, card: nil, to: folder.url)
        #expect(!FileManager.default.fileExists(atPath: folder.url.appendingPathComponent(ModelCard.fileName).path))
        let reloaded = try UNetCheckpoint.load(from: folder.url).model
        #expect(reloaded.mdformerConfig?.variant == .segmadiff)
        #expect(Self.forward(reloaded).eq(Self.forward(model)).all().item == 1)
    }

    @Test func wrongShapeIsReportedWithFileKeyAndExpectedShape() throws {
        let folder = TemporaryFolder()
        let unet = try Self.copyOfFixture("unet-tiny", into: folder) { $0["conv_in.weight"] = Tensor.zeros([32, 3, 3, 3]) }
        do {
            _ = try UNetCheckpoint.load(from: unet)
            Issue.record("a checkpoint with the wrong shape loaded")
        } catch {
            let message = "\(error)"
            #expect(message.contains(UNetCheckpoint.weightsFileName))
            #expect(message.contains("conv_in.weight"))
            #expect(message.contains("[32, 3, 3, 3]") && message.contains("[32, 2, 3, 3]"))
            #expect(!message.contains("\n"))
        }
    }

    @Test func missingKeyIsReportedByName() throws {
        let folder = TemporaryFolder()
        let unet = try Self.copyOfFixture("segmadiff-tiny", into: folder) { $0["mid_block.MDFormer.D"] = nil; $0["mid_block.MDFormer.A_log"] = nil }
        #expect { try UNetCheckpoint.load(from: unet) } throws: { "\($0)".contains("mid_block.MDFormer.D") }
    }
}
