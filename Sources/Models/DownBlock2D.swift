import Torch

/// One encoder level: resnets (each followed by attention in an AttnDownBlock2D), then an optional
/// strided-conv downsampler. Every resnet output and the downsampler output are skip connections.
final class DownBlock2D: Module {
    @Child var resnets: [ResnetBlock2D]
    @Child var attentions: [Attention]
    @Child var downsamplers: [Downsample2D]

    init(_ inChannels: Int, _ outChannels: Int, layers: Int, withAttention: Bool, downsample: Bool,
         settings: BlockSettings) {
        var resnets: [ResnetBlock2D] = [], attentions: [Attention] = []
        for i in 0..<layers {
            resnets.append(settings.resnet(i == 0 ? inChannels : outChannels, outChannels))
            if withAttention { attentions.append(settings.attention(outChannels)) }
        }
        self.resnets = resnets
        self.attentions = attentions
        self.downsamplers = downsample ? [Downsample2D(channels: outChannels)] : []
    }

    /// Returns the block's output and the skips it pushes, oldest first (docs/python-reference.md §3.2).
    func callAsFunction(_ x: Tensor, time: Tensor) -> (Tensor, skips: [Tensor]) {
        var h = x
        var skips: [Tensor] = []
        for (i, resnet) in resnets.enumerated() {
            h = resnet(h, time: time)
            if !attentions.isEmpty { h = attentions[i](h) }
            skips.append(h)
        }
        for downsampler in downsamplers {
            h = downsampler(h)
            skips.append(h)
        }
        return (h, skips)
    }
}
