@testable import Models

/// Small U-Nets for unit tests (the full-size one is built only to count its keys).
enum TinyModels {
    /// Two levels of 32 and 64 channels, attention in the lower one, 2 in / 1 out, 16 px.
    static func config(layersPerBlock: Int = 1) -> UNetConfig {
        UNetConfig.segmadiff(sampleSize: 16, inChannels: 2, outChannels: 1, layersPerBlock: layersPerBlock,
                             blockOutChannels: [32, 64])
    }
}
