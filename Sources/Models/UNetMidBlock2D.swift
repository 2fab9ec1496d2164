import Torch

/// The bottleneck: resnet, attention, resnet (attention left out when add_attention is false).
final class UNetMidBlock2D: Module {
    @Child var resnets: [ResnetBlock2D]
    @Child var attentions: [Attention]

    init(channels: Int, settings: BlockSettings) {
        let scale = settings.config.midBlockScaleFactor
        resnets = [settings.resnet(channels, channels, outputScale: scale),
                   settings.resnet(channels, channels, outputScale: scale)]
        attentions = settings.config.addAttention ? [settings.attention(channels, outputScale: scale)] : []
    }

    func callAsFunction(_ x: Tensor, time: Tensor) -> Tensor {
        var h = resnets[0](x, time: time)
        for attention in attentions { h = attention(h) }
        return resnets[1](h, time: time)
    }
}
