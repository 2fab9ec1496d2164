/// What every resnet and attention of one U-Net shares: the time-embedding width, GroupNorm
/// groups and eps, and the attention head size.
struct BlockSettings {
    let timeChannels: Int
    let groups: Int
    let eps: Double
    let config: UNetConfig

    init(_ config: UNetConfig) {
        self.config = config
        timeChannels = config.timeEmbeddingDim
        groups = config.normNumGroups
        eps = config.normEps
    }

    func resnet(_ inChannels: Int, _ outChannels: Int, outputScale: Double = 1) -> ResnetBlock2D {
        ResnetBlock2D(inChannels, outChannels, timeChannels: timeChannels, groups: groups, eps: eps, outputScale: outputScale)
    }

    func attention(_ channels: Int, outputScale: Double = 1) -> Attention {
        Attention(channels: channels, heads: config.attentionHeads(channels: channels), groups: groups, eps: eps,
                  outputScale: outputScale)
    }
}
