import Torch

/// How alike neighbouring slices of a volume are: the normalised cross-correlation (NCC) of each
/// pair of adjacent slices, averaged over the pairs. Real anatomy changes little from one slice to
/// the next (NCC near 1 at thin slices); slices generated independently of each other agree less,
/// which is what `--slice_noise_correlation` is for.
public struct SliceAgreement: Sendable, Equatable {
    /// Mean NCC over whole slices.
    public let wholeSlice: Double
    /// Mean NCC inside the labelled region (the union of the two slices' non-background labels).
    public let insideLabels: Double
    /// How many adjacent pairs were averaged.
    public let pairs: Int

    /// - Parameters:
    ///   - slices: [N, R, C] intensities.
    ///   - labels: [N, R, C] labels on the same grid (0 background).
    ///   - included: which slices count (e.g. those generated); a pair counts when both do.
    public static func measure(_ slices: Tensor, labels: Tensor, included: [Bool]) -> SliceAgreement {
        let count = slices.shape[0]
        let pairIndices = (0..<max(0, count - 1)).filter { included[$0] && included[$0 + 1] }
        guard !pairIndices.isEmpty else { return SliceAgreement(wholeSlice: .nan, insideLabels: .nan, pairs: 0) }
        let first = Tensor(pairIndices.map { Int64($0) }), second = Tensor(pairIndices.map { Int64($0 + 1) })
        let values = slices.to(.float64)
        let a = values.indexSelect(dim: 0, index: first), b = values.indexSelect(dim: 0, index: second)
        let labelled = labels.ne(0)
        let region = labelled.indexSelect(dim: 0, index: first).logicalOr(labelled.indexSelect(dim: 0, index: second)).to(.float64)
        return SliceAgreement(wholeSlice: meanNCC(a, b, weights: Tensor.ones(like: a)),
                              insideLabels: meanNCC(a, b, weights: region), pairs: pairIndices.count)
    }

    /// The mean over pairs of NCC(a_i, b_i) over the pixels where the weight is 1; pairs with no such
    /// pixels, or a constant slice (NCC undefined), are left out.
    static func meanNCC(_ a: Tensor, _ b: Tensor, weights: Tensor) -> Double {
        let dims = [1, 2]
        let n = weights.sum(dims: dims, keepDim: true).clamped(min: 1)
        let da = (a - (a * weights).sum(dims: dims, keepDim: true) / n) * weights
        let db = (b - (b * weights).sum(dims: dims, keepDim: true) / n) * weights
        let covariance = (da * db).sum(dims: dims)
        let spread = ((da * da).sum(dims: dims) * (db * db).sum(dims: dims)).sqrt()
        let defined = spread.gt(1e-12)
        let values = (covariance / spread.clamped(min: 1e-12)).scalars(as: Double.self)
        let kept = zip(values, defined.to(.uint8).scalars(as: UInt8.self)).filter { $0.1 != 0 }.map(\.0)
        return kept.isEmpty ? .nan : kept.reduce(0, +) / Double(kept.count)
    }
}
