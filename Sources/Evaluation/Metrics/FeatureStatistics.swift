import Torch

/// The mean and covariance of a set of feature vectors, in Double: what FID compares.
public struct FeatureStatistics: Sendable {
    public let dimension: Int
    public let count: Int
    public let mean: [Double]
    /// Row-major d x d, unbiased (divided by n - 1).
    public let covariance: [Double]

    /// `features` [N, D], N ≥ 2.
    public init(_ features: Tensor) {
        precondition(features.rank == 2 && features.shape[0] >= 2, "FeatureStatistics: need [N ≥ 2, D] features, got \(features.shape)")
        let x = features.to(.float64)
        let mu = x.mean(dims: [0], keepDim: true)
        let centred = x - mu
        let covariance = centred.transposed(0, 1).matmul(centred) / Double(x.shape[0] - 1)
        dimension = x.shape[1]
        count = x.shape[0]
        mean = mu.contiguous().scalars(as: Double.self)
        self.covariance = covariance.contiguous().scalars(as: Double.self)
    }
}
