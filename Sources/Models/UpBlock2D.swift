import Torch

/// One decoder level: before each resnet the newest skip is concatenated after h along channels
/// (`[h, skip]`); attention follows each resnet in an AttnUpBlock2D; then an optional upsampler.
final class UpBlock2D: Module {
    @Child var resnets: [ResnetBlock2D]
    @Child var attentions: [Attention]
    @Child var upsamplers: [Upsample2D]

    /// `skipChannels` lists the channels of the skips this block takes, in the order it uses them.
    init(previousChannels: Int, skipChannels: [Int], _ outChannels: Int, withAttention: Bool, upsample: Bool,
         settings: BlockSettings) {
        var resnets: [ResnetBlock2D] = [], attentions: [Attention] = []
        for (i, skip) in skipChannels.enumerated() {
            let hChannels = i == 0 ? previousChannels : outChannels
            resnets.append(settings.resnet(hChannels + skip, outChannels))
            if withAttention { attentions.append(settings.attention(outChannels)) }
        }
        self.resnets = resnets
        self.attentions = attentions
        self.upsamplers = upsample ? [Upsample2D(channels: outChannels)] : []
    }

    /// `skips` holds this block's skips newest first.
    func callAsFunction(_ x: Tensor, skips: [Tensor], time: Tensor) -> Tensor {
        var h = x
        for (i, resnet) in resnets.enumerated() {
            h = resnet(Tensor.cat([h, skips[i]], dim: 1), time: time)
            if !attentions.isEmpty { h = attentions[i](h) }
        }
        for upsampler in upsamplers { h = upsampler(h) }
        return h
    }
}
