import Torch

/// Multi-head self-attention over the pixels of a feature map, with a residual (docs/python-reference.md §3.6):
/// out = x + to_out(softmax(Q K^T / sqrt(d)) V) with Q, K, V projections of GroupNorm(x).
final class Attention: Module {
    @Child(key: "group_norm") var norm: GroupNorm
    @Child(key: "to_q") var query: Linear
    @Child(key: "to_k") var key: Linear
    @Child(key: "to_v") var value: Linear
    @Child(key: "to_out.0") var output: Linear
    let heads: Int
    let outputScale: Double

    init(channels: Int, heads: Int, groups: Int, eps: Double, outputScale: Double = 1) {
        self.heads = heads
        self.outputScale = outputScale
        _norm.wrappedValue = GroupNorm(groups: groups, channels: channels, eps: eps)
        _query.wrappedValue = Linear(channels, channels)
        _key.wrappedValue = Linear(channels, channels)
        _value.wrappedValue = Linear(channels, channels)
        _output.wrappedValue = Linear(channels, channels)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        // GroupNorm statistics do not depend on the spatial layout, so normalise before flattening.
        let tokens = norm(x).reshaped(b, c, h * w).transposed(1, 2)          // [B, HW, C]
        let attended = Tensor.scaledDotProductAttention(
            query: splitHeads(query(tokens)), key: splitHeads(key(tokens)), value: splitHeads(value(tokens)))
        let merged = attended.transposed(1, 2).reshaped(b, h * w, c)
        // Back to [B, C, H, W] in x's layout: the transposed view has channels-last strides, which
        // the sum would inherit, and a standard-layout model would pay for them in every later
        // convolution (converting its weights to channels-last and its weight gradients back).
        let layout: MemoryFormat = x.isContiguous(.contiguous) ? .contiguous : .channelsLast
        let out = output(merged).transposed(1, 2).reshaped(b, c, h, w).contiguous(layout) + x
        return outputScale == 1 ? out : out / outputScale
    }

    /// [B, L, C] -> [B, heads, L, C / heads].
    private func splitHeads(_ t: Tensor) -> Tensor {
        t.reshaped(t.shape[0], t.shape[1], heads, t.shape[2] / heads).transposed(1, 2)
    }
}
