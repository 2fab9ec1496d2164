import Torch

/// Mask ablation for training (SPEC 2.6): each non-background class is removed (set to 0) with
/// probability 0.5, so every subset of {1..K-1} is kept with probability 2^-(K-1).
public struct MaskAblation: Sendable {
    public enum Draw: String, Sendable, Codable {
        /// An independent draw for each sample (SPEC 9, defect 14).
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
    public func callAsFunction(_ labels: Tensor, generator: Generator) -> Tensor {
        guard classes > 1 else { return labels }
        let batch = labels.shape[0]
        let draws = Tensor.rand([draw == .perSample ? batch : 1, classes - 1], generator: generator)
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
