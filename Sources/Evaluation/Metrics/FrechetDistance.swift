import Torch

/// The Fréchet distance between Gaussians fitted to two feature sets (FID when the features are
/// Inception's; here they are the segmenter's):
///
///     d² = |μ₁ - μ₂|² + tr Σ₁ + tr Σ₂ - 2 tr (Σ₁^½ Σ₂ Σ₁^½)^½
///
/// The product form Σ₁^½ Σ₂ Σ₁^½ is symmetric positive semi-definite (unlike Σ₁Σ₂), so both square
/// roots come from symmetric eigendecompositions, with rounding-level negative eigenvalues set to 0.
/// That stays finite when a covariance is singular, as it is whenever there are fewer images than
/// feature dimensions.
public enum FrechetDistance {
    /// Why FID would mislead for sets of these sizes, or nil when it can be reported. A covariance of
    /// n vectors has rank at most n - 1, so with n ≤ d its d x d estimate is singular, its square root
    /// ill-determined, and the distance carries a large bias that shrinks only as n grows: numbers
    /// from different set sizes cannot be compared, and small differences mean nothing. KID has no
    /// such bias.
    public static func sampleShortfall(generated: Int, real: Int, dimension: Int) -> String? {
        guard min(generated, real) <= dimension else { return nil }
        return "FID needs more images than feature dimensions in each set for a full-rank covariance (\(dimension)-d features; \(generated) generated and \(real) real images); read KID, which is unbiased at any set size"
    }

    public static func between(_ a: FeatureStatistics, _ b: FeatureStatistics) -> Double {
        precondition(a.dimension == b.dimension, "FrechetDistance: feature dimensions \(a.dimension) and \(b.dimension) differ")
        let n = a.dimension
        let meanTerm = zip(a.mean, b.mean).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let traceA = (0..<n).reduce(0) { $0 + a.covariance[$1 * n + $1] }
        let traceB = (0..<n).reduce(0) { $0 + b.covariance[$1 * n + $1] }
        let rootA = SymmetricEigen(a.covariance, size: n).applying { Swift.max($0, 0).squareRoot() }
        let product = multiply(multiply(rootA, b.covariance, n), rootA, n)
        let traceRoot = SymmetricEigen(product, size: n).values.reduce(0) { $0 + Swift.max($1, 0).squareRoot() }
        // Rounding can leave a tiny negative value for identical sets.
        return Swift.max(0, meanTerm + traceA + traceB - 2 * traceRoot)
    }

    /// Row-major n x n product, through libtorch.
    private static func multiply(_ x: [Double], _ y: [Double], _ n: Int) -> [Double] {
        let product = Tensor(x, shape: [n, n]).matmul(Tensor(y, shape: [n, n]))
        return product.contiguous().scalars(as: Double.self)
    }
}
