import Foundation
import ModelCard
import Testing
@testable import Models

/// config.json and segmadiff.json values that no model could have are refused by name.
@Suite struct ModelBoundsTests {
    func refused(_ config: UNetConfig, _ words: String) -> Bool {
        do {
            try config.validate(file: "config.json")
            return false
        } catch {
            return "\(error)".contains(words) && "\(error)".contains("config.json")
        }
    }

    @Test func absurdUNetSizesAreRefused() {
        let base = UNetConfig.segmadiff(sampleSize: 16, inChannels: 2, outChannels: 1, layersPerBlock: 1, blockOutChannels: [32, 64])
        #expect((try? base.validate(file: "config.json")) != nil)
        var config = base
        config.blockOutChannels = [32, 100_000]
        #expect(refused(config, "100000"))
        config = base
        config.layersPerBlock = 1_000_000
        #expect(refused(config, "layers_per_block"))
        config = base
        config.sampleSize = 1_000_000_000
        #expect(refused(config, "sample_size"))
        config = base
        config.inChannels = 1 << 40
        #expect(refused(config, "in_channels"))
        config = base
        config.normEps = .infinity
        #expect(refused(config, "norm_eps"))
    }

    @Test func absurdMDFormerSettingsAreRefused() {
        #expect((try? MDFormerConfig().validate(file: "segmadiff.json")) != nil)
        for (config, words) in [(MDFormerConfig(dState: 1_000_000_000), "d_state"), (MDFormerConfig(expand: 0), "expand"),
                                (MDFormerConfig(highpassSigma: .nan), "highpass_sigma"), (MDFormerConfig(dtMin: .nan), "dt_min")] {
            #expect { try config.validate(file: "segmadiff.json") } throws: { "\($0)".contains(words) }
        }
    }
}
