import Torch

/// Mask ablation for training (docs/python-reference.md §2.6): each non-background class is removed (set to 0) with
/// probability 0.5, so every subset of {1..K-1} is kept with probability 2^-(K-1).
public struct MaskAblation: Sendable {
    public enum Draw: String, Sendable, Codable {
        /// An independent draw for each sample (docs/python-reference.md §9, defect 14).
        case perSample
        /// The reference's one draw shared by the whole batch.
        case perBatch
    }

    /// K, background included.
    public var classes: Int
    public var draw: Draw

    public init(classes: Int, draw: Draw = .perSample) {
        self.classes = classes
        self.draw = draw
    }

    /// `labels` [B, L, S, S] (integers) with the removed classes set to background. All L maps of a
    /// sample lose the same classes. Labels >= K are never touched, as in the reference.
    ///
    /// `rows` of `total`: the labels are those rows of a larger batch (one process's part in
    /// data-parallel training); the draws are made for the whole batch and these rows kept, so each
    /// sample is ablated as it would be in one process.
    public func callAsFunction(_ labels: Tensor, generator: Generator, rows: Range<Int>? = nil, of total: Int? = nil) -> Tensor {
        guard classes > 1 else { return labels }
        let batch = labels.shape[0]
        var draws = Tensor.rand([draw == .perSample ? (total ?? batch) : 1, classes - 1], generator: generator)
        if draw == .perSample, let rows, let total, total != batch {
            draws = draws.narrowed(dim: 0, start: rows.lowerBound, length: rows.count)
        }
        let removed = draws.lt(0.5)
        var result = labels
        for label in 1..<classes {
            let drop = removed.narrowed(dim: 1, start: label - 1, length: 1).reshaped([-1, 1, 1, 1])
            let hit = labels.eq(Double(label)).logicalAnd(drop)
            result = Tensor.where(hit, Tensor.zeros(like: result), result)
        }
        return result
    }
}
