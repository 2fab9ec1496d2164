import Foundation
import Testing
import TestSupport
@testable import Models
import Torch

@Suite struct UNetConfigTests {
    static func configJSON(with change: (inout [String: Any]) -> Void) throws -> URL {
        let source = Fixtures.ownUNet("unet-tiny").appendingPathComponent("config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: source)) as! [String: Any]
        change(&object)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("segmadiff-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let url = folder.appendingPathComponent("config.json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    /// (option, its value as JSON, the word the error must contain)
    @Test(arguments: [
        ("time_embedding_type", #""fourier""#, "time_embedding_type"),
        ("resnet_time_scale_shift", #""scale_shift""#, "resnet_time_scale_shift"),
        ("class_embed_type", #""timestep""#, "class_embed_type"),
        ("act_fn", #""gelu""#, "act_fn"),
        ("down_block_types", #"["DownBlock2D", "CrossAttnDownBlock2D"]"#, "CrossAttnDownBlock2D"),
        ("up_block_types", #"["AttnUpBlock2D", "SkipUpBlock2D"]"#, "SkipUpBlock2D"),
        ("downsample_type", #""resnet""#, "downsample_type"),
    ])
    func unsupportedOptionIsRefusedByName(option: String, json: String, named: String) throws {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        let url = try Self.configJSON { $0[option] = value }
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        do {
            _ = try UNetConfig.read(from: url)
            Issue.record("\(option) = \(json) was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains(url.path), "names the file")
            #expect(message.contains(named), "names the option: \(message)")
        }
    }

    @Test func missingKeysTakeDiffusersDefaults() throws {
        let url = try Self.configJSON { config in
            for key in ["flip_sin_to_cos", "freq_shift", "norm_eps", "dropout", "add_attention"] { config[key] = nil }
        }
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let config = try UNetConfig.read(from: url)
        #expect(config.flipSinToCos && config.freqShift == 0 && config.normEps == 1e-5 && config.addAttention)
        #expect(config.attentionHeadDim == 8)
    }

    @Test func segmadiffLayoutIsTheForks() {
        let config = UNetConfig.segmadiff(sampleSize: 256, inChannels: 2, outChannels: 1)
        #expect(config.downBlockTypes == ["DownBlock2D", "DownBlock2D", "DownBlock2D", "DownBlock2D", "AttnDownBlock2D", "DownBlock2D"])
        #expect(config.upBlockTypes == ["UpBlock2D", "AttnUpBlock2D", "UpBlock2D", "UpBlock2D", "UpBlock2D", "UpBlock2D"])
        #expect(config.timeEmbeddingDim == 512)
        #expect(config.jsonText.hasSuffix("  \"upsample_type\": \"conv\"\n}\n"))
        #expect(config.jsonText.contains("\"norm_eps\": 1e-05,") && config.jsonText.contains("\"dropout\": 0.0,"))
    }

    /// docs/python-reference.md §3.7 and Appendix A.3.
    @Test func timestepCodeHasTheSpecValues() {
        let code = SinusoidalTimesteps(dim: 128, flipSinToCos: true, freqShift: 0)(Tensor([1, 999, 0] as [Int64]))
        let v = code.scalars(as: Float.self)
        #expect(Swift.abs(v[0] - 0.5403023) < 1e-6 && Swift.abs(v[1] - 0.6479059) < 1e-6 && Swift.abs(v[64] - 0.8414710) < 1e-6)
        #expect(Swift.abs(v[128] - 0.99964985) < 1e-4 && Swift.abs(v[128 + 64] - -0.02646075) < 1e-4)
        #expect(v[256..<320].allSatisfy { $0 == 1 } && v[320..<384].allSatisfy { $0 == 0 })
    }

    @Test func scalarTimestepIsBroadcastOverTheBatch() {
        let model = UNet2DModel(config: TinyModels.config(), mdformer: nil)
        let x = Tensor.randn([3, 2, 16, 16], generator: Generator(seed: 6))
        let scalar = withNoGrad { model(x, timesteps: Tensor(scalar: Int64(250))) }
        let perSample = withNoGrad { model(x, timesteps: Tensor([250, 250, 250] as [Int64])) }
        #expect(scalar.eq(perSample).all().item == 1)
    }

    /// Every parameter, the DynamicTanh and the MDFormer's included, receives a gradient.
    @Test func everyParameterTrains() {
        let model = UNet2DModel(config: TinyModels.config(), mdformer: .init(variant: .segmadiff))
        model.setRequiresGrad(true)
        let x = Tensor.randn([2, 2, 16, 16], generator: Generator(seed: 7))
        model(x, timesteps: Tensor([1, 900] as [Int64])).squared().mean().backward()
        let missing = model.namedParameters().filter { ($0.tensor.grad?.abs().sum().item ?? 0) == 0 }.map(\.key)
        #expect(missing == [])
    }
}
