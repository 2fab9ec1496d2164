import Torch

/// The MDFormer's selective state-space scan along one image axis (docs/python-reference.md §4.3): for each line,
/// with state s := 0 at its start and, at each position in order,
///     s = exp(A Δ) ⊙ s + Δ u B,    y = Σ_n C s + D u.
/// Lines are independent. On the CPU (float32/float64) one pass is a single fused op that keeps each
/// line's state in cache (`Tensor.selectiveScan`); elsewhere all lines advance together, one step
/// per position along the axis (W steps for rows, H for columns), each a couple of batched ops —
/// never one op per pixel.
public enum SelectiveScan {
    public enum Axis: Sendable {
        /// Each row left to right (the fork's first pass).
        case rows
        /// Each column top to bottom (the second pass).
        case columns

        /// [B, C, H, W] -> [L, B, M, C]: position along the line first, then the batch, then the
        /// line's index M, channels last, so each step's state [B, M, E, N] is one contiguous block.
        var lineFirst: [Int] { self == .rows ? [3, 0, 2, 1] : [2, 0, 3, 1] }
        /// The inverse of `lineFirst`.
        var restore: [Int] { self == .rows ? [1, 3, 2, 0] : [1, 3, 0, 2] }
        /// The dimension of [B, C, H, W] that the scan walks along.
        var dim: Int { self == .rows ? 3 : 2 }
    }

    /// u, dt: [B, E, H, W]; b, c: [B, N, H, W] (shared by all channels); a: [N] or [E, N]; d: [E].
    /// Returns y: [B, E, H, W].
    public static func scan(_ u: Tensor, dt: Tensor, b: Tensor, c: Tensor, a: Tensor, d: Tensor, along axis: Axis) -> Tensor {
        if fused([u, dt, b, c, a, d]) {
            return Tensor.selectiveScan(u, dt: dt, b: b, c: c, a: a, d: d, dim: axis.dim)
        }
        return batched(u, dt: dt, b: b, c: c, a: a, d: d, along: axis)
    }

    /// The scan as batched tensor ops on any device and dtype (the fallback where the fused op does not apply).
    static func batched(_ u: Tensor, dt: Tensor, b: Tensor, c: Tensor, a: Tensor, d: Tensor, along axis: Axis) -> Tensor {
        let order = axis.lineFirst
        let steps = dt.permuted(order).contiguous().unsqueezed(-1)                    // [L, B, M, E, 1]
        let inputs = (dt * u).permuted(order).contiguous().unsqueezed(-1)             // [L, B, M, E, 1]
        let writes = b.permuted(order).contiguous().unsqueezed(-2)                    // [L, B, M, 1, N]
        let reads = c.permuted(order).contiguous().unsqueezed(-1)                     // [L, B, M, N, 1]
        // Working one position at a time keeps each step's tensors small enough to stay in cache.
        var state: Tensor?
        var outputs: [Tensor] = []
        for position in 0..<steps.shape[0] {
            let drive = inputs.selected(dim: 0, index: position) * writes.selected(dim: 0, index: position)
            if let previous = state {
                let decay = (steps.selected(dim: 0, index: position) * a).exp()
                state = decay * previous + drive
            } else {
                state = drive                                                          // the state starts at 0
            }
            outputs.append(state!.matmul(reads.selected(dim: 0, index: position)).squeezed(-1))   // Σ_n C s
        }
        let y = Tensor.stack(outputs, dim: 0).permuted(axis.restore)
        return y + d.reshaped(1, -1, 1, 1) * u
    }

    /// Whether the fused CPU op takes these inputs [u, dt, b, c, a, d]. It keeps a line's state on the
    /// stack: at most 256 states (far above the model's 16).
    static func fused(_ x: [Tensor]) -> Bool {
        let (u, dt, b, c) = (x[0], x[1], x[2], x[3])
        return Tensor.supportsFusedSelectiveScan(x) && u.rank == 4 && dt.shape == u.shape && b.rank == 4
            && c.shape == b.shape && b.shape[1] <= 256
    }

    /// Both passes of the MDFormer: rows, then columns of the row pass's output (same Δ, B, C). On the
    /// CPU one fused op runs both passes plane by plane.
    public static func twoPass(_ u: Tensor, dt: Tensor, b: Tensor, c: Tensor, a: Tensor, d: Tensor) -> Tensor {
        if fused([u, dt, b, c, a, d]) {
            return Tensor.selectiveScanTwoPass(u, dt: dt, b: b, c: c, a: a, d: d)
        }
        let rows = scan(u, dt: dt, b: b, c: c, a: a, d: d, along: .rows)
        return scan(rows, dt: dt, b: b, c: c, a: a, d: d, along: .columns)
    }
}
