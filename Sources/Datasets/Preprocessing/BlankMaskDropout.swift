import Torch

/// Classifier-free guidance training (`--cfg_p_uncond P`): each sample's labels are replaced, with
/// probability P, by the all-background map, so one model learns the mask-guided and the unguided
/// noise prediction that `--guidance_scale` combines at sampling time.
///
/// Mask ablation removes each class with probability 0.5, so it already blanks a whole mask with
/// probability 2^-(K-1) (1/4 for K = 3, 1/64 for K = 7); the dropout adds P on top of that.
public struct BlankMaskDropout: Sendable {
    public var probability: Double

    public init(probability: Double) {
        self.probability = probability
    }

    /// `labels` [B, L, S, S] (integers) with the dropped samples set to background everywhere.
    ///
    /// `rows` of `total`: the labels are those rows of a larger batch (one process's part in
    /// data-parallel training); the draws are made for the whole batch, so each sample is dropped
    /// as it would be in one process.
    public func callAsFunction(_ labels: Tensor, generator: Generator, rows: Range<Int>? = nil, of total: Int? = nil) -> Tensor {
        guard probability > 0 else { return labels }
        return Self.blanked(labels, where: dropped(labels.shape[0], generator: generator, rows: rows, of: total))
    }

    /// `tensor` [B, ...] with the rows that `dropped` [B] marks set to zero.
    public static func blanked(_ tensor: Tensor, where dropped: Tensor) -> Tensor {
        let shape = [dropped.shape[0]] + Array(repeating: 1, count: tensor.rank - 1)
        return Tensor.where(dropped.reshaped(shape), Tensor.zeros(like: tensor), tensor)
    }

    /// Which of `count` samples are dropped, [count] bool: the draws `callAsFunction` makes, for
    /// conditioning that is dropped with the masks (the previous slice).
    public func dropped(_ count: Int, generator: Generator, rows: Range<Int>? = nil, of total: Int? = nil) -> Tensor {
        var draws = Tensor.rand([total ?? count], generator: generator)
        if let rows, draws.shape[0] != count { draws = draws.narrowed(dim: 0, start: rows.lowerBound, length: rows.count) }
        return draws.lt(probability)
    }
}
