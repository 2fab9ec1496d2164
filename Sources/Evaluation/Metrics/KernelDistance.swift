import Torch

/// The kernel distance (KID when the features are Inception's): the unbiased estimate of the squared
/// maximum mean discrepancy with the cubic polynomial kernel k(x, y) = (xᵀy / d + 1)³:
///
///     MMD²ᵤ = Σ_{i≠j} k(xᵢ, xⱼ) / m(m-1) + Σ_{i≠j} k(yᵢ, yⱼ) / n(n-1) - 2 Σ_{i,j} k(xᵢ, yⱼ) / mn
///
/// Unbiased means its expectation is 0 when both sets come from one distribution, so a single value
/// may be slightly negative; unlike FID it has no bias that shrinks with the set size, which matters
/// for the few hundred images metrics usually see.
public enum KernelDistance {
    /// `x` [m, D] and `y` [n, D], m, n ≥ 2.
    public static func between(_ x: Tensor, _ y: Tensor) -> Double {
        precondition(x.rank == 2 && y.rank == 2 && x.shape[1] == y.shape[1], "KernelDistance: features \(x.shape) and \(y.shape) do not match")
        precondition(x.shape[0] >= 2 && y.shape[0] >= 2, "KernelDistance: need at least two vectors per set")
        let a = x.to(.float64), b = y.to(.float64)
        let m = Double(a.shape[0]), n = Double(b.shape[0])
        let withinA = offDiagonalSum(a) / (m * (m - 1))
        let withinB = offDiagonalSum(b) / (n * (n - 1))
        let across = kernel(a, b).sum().item / (m * n)
        return withinA + withinB - 2 * across
    }

    static func kernel(_ a: Tensor, _ b: Tensor) -> Tensor {
        let dimension = Double(a.shape[1])
        return (a.matmul(b.transposed(0, 1)) / dimension + 1).pow(3)
    }

    /// Σ_{i≠j} k(aᵢ, aⱼ): the whole Gram sum less its diagonal.
    private static func offDiagonalSum(_ a: Tensor) -> Double {
        let dimension = Double(a.shape[1])
        let diagonal = (a.squared().sum(dims: [1]) / dimension + 1).pow(3)
        return kernel(a, a).sum().item - diagonal.sum().item
    }
}
