import Torch

/// Pre-norm residual block with additive time conditioning (docs/python-reference.md §3.4).
final class ResnetBlock2D: Module {
    @Child var norm1: GroupNorm
    @Child var conv1: Conv2d
    @Child(key: "time_emb_proj") var timeProjection: Linear
    @Child var norm2: GroupNorm
    @Child var conv2: Conv2d
    /// A 1x1 projection of the input, only when the channel count changes.
    @Child(key: "conv_shortcut") var shortcut: Conv2d?
    /// The mid block divides its output by mid_block_scale_factor; everywhere else 1.
    let outputScale: Double

    init(_ inChannels: Int, _ outChannels: Int, timeChannels: Int, groups: Int, eps: Double, outputScale: Double = 1) {
        self.outputScale = outputScale
        norm1 = GroupNorm(groups: groups, channels: inChannels, eps: eps)
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, padding: 1)
        _timeProjection.wrappedValue = Linear(timeChannels, outChannels)
        norm2 = GroupNorm(groups: groups, channels: outChannels, eps: eps)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1)
        _shortcut.wrappedValue = inChannels == outChannels ? nil : Conv2d(inChannels, outChannels, kernelSize: 1)
    }

    func callAsFunction(_ x: Tensor, time: Tensor) -> Tensor {
        var h = conv1(norm1(x).silu())
        h = h + timeProjection(time.silu()).expandedToImage()
        h = conv2(norm2(h).silu())
        let out = (shortcut?(x) ?? x) + h
        return outputScale == 1 ? out : out / outputScale
    }
}

extension Tensor {
    /// [B, C] -> [B, C, 1, 1], to broadcast a per-channel vector over an image.
    func expandedToImage() -> Tensor { unsqueezed(-1).unsqueezed(-1) }
}
