import Foundation
import Torch

/// Eigenvalues and eigenvectors of a real symmetric matrix by cyclic Jacobi rotations, in Double.
/// Slower than LAPACK (O(n^3) per sweep, a handful of sweeps), but exact to rounding for the small
/// feature dimensions used here (n ≤ a few hundred), always converges, and needs no library.
struct SymmetricEigen {
    let size: Int
    /// Eigenvalues, in no particular order.
    let values: [Double]
    /// Row-major n x n; column k is the unit eigenvector of values[k].
    let vectors: [Double]

    /// `matrix` is row-major n x n and symmetric (only approximately is fine: it is symmetrised).
    init(_ matrix: [Double], size n: Int) {
        precondition(matrix.count == n * n, "SymmetricEigen: \(matrix.count) entries for a \(n)x\(n) matrix")
        var a = matrix
        for i in 0..<n {
            for j in (i + 1)..<n {
                let mean = (a[i * n + j] + a[j * n + i]) / 2
                a[i * n + j] = mean
                a[j * n + i] = mean
            }
        }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let scale = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var offDiagonal = 0.0
            for i in 0..<n { for j in 0..<n where i != j { offDiagonal += a[i * n + j] * a[i * n + j] } }
            if offDiagonal <= 1e-30 * scale || offDiagonal == 0 { break }
            for p in 0..<max(0, n - 1) {
                for q in (p + 1)..<n {
                    Self.rotate(&a, &v, n, p, q)
                }
            }
        }
        size = n
        values = (0..<n).map { a[$0 * n + $0] }
        vectors = v
    }

    /// One Jacobi rotation in the (p, q) plane that zeroes a[p][q]: A <- Jᵀ A J, V <- V J.
    private static func rotate(_ matrix: inout [Double], _ vectors: inout [Double], _ n: Int, _ p: Int, _ q: Int) {
        // Unchecked buffers: this loop is the whole cost, and bounds checks triple it in debug builds.
        matrix.withUnsafeMutableBufferPointer { a in
            vectors.withUnsafeMutableBufferPointer { v in
                let apq = a[p * n + q]
                if apq == 0 { return }
                let theta = (a[q * n + q] - a[p * n + p]) / (2 * apq)
                // The smaller root of t² + 2θt - 1 = 0 keeps the rotation under 45° (stable).
                let t = (theta >= 0 ? 1.0 : -1.0) / (abs(theta) + (theta * theta + 1).squareRoot())
                let c = 1 / (t * t + 1).squareRoot(), s = t * c
                for k in 0..<n {
                    let kp = a[k * n + p], kq = a[k * n + q]
                    a[k * n + p] = c * kp - s * kq
                    a[k * n + q] = s * kp + c * kq
                }
                for k in 0..<n {
                    let pk = a[p * n + k], qk = a[q * n + k]
                    a[p * n + k] = c * pk - s * qk
                    a[q * n + k] = s * pk + c * qk
                }
                for k in 0..<n {
                    let kp = v[k * n + p], kq = v[k * n + q]
                    v[k * n + p] = c * kp - s * kq
                    v[k * n + q] = s * kp + c * kq
                }
            }
        }
    }

    /// V f(Λ) Vᵀ: the matrix function of the eigenvalues, row-major (through libtorch).
    func applying(_ function: (Double) -> Double) -> [Double] {
        let v = Tensor(vectors, shape: [size, size])
        let mapped = Tensor(values.map(function), shape: [1, size])
        let result = (v * mapped).matmul(v.transposed(0, 1))
        let symmetric = (result + result.transposed(0, 1)) / 2
        return symmetric.contiguous().scalars(as: Double.self)
    }
}
