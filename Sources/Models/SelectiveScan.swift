import Torch

/// The MDFormer's selective state-space scan along one image axis (SPEC.md 4.3): for each line,
/// with state s := 0 at its start and, at each position in order,
///     s = exp(A Δ) ⊙ s + Δ u B,    y = Σ_n C s + D u.
/// Lines are independent, so all of them advance together: one step per position along the axis
/// (W steps for rows, H for columns), each a couple of batched ops — never one op per pixel.
public enum SelectiveScan {
    public enum Axis: Sendable {
        /// Each row left to right (the fork's first pass).
        case rows
        /// Each column top to bottom (the second pass).
        case columns

        /// Puts the scanned axis of a [B, E, H, W, N] tensor first.
        var scanFirst: [Int] { self == .rows ? [3, 0, 1, 2, 4] : [2, 0, 1, 3, 4] }
        /// Returns a [L, B, E, M] result (scanned axis first) to [B, E, H, W].
        var restore: [Int] { self == .rows ? [1, 2, 3, 0] : [1, 2, 0, 3] }
    }

    /// u, dt: [B, E, H, W]; b, c: [B, N, H, W] (shared by all channels); a: [N] or [E, N]; d: [E].
    /// Returns y: [B, E, H, W].
    public static func scan(_ u: Tensor, dt: Tensor, b: Tensor, c: Tensor, a: Tensor, d: Tensor, along axis: Axis) -> Tensor {
        let decay = (dt.unsqueezed(-1) * perChannel(a)).exp().permuted(axis.scanFirst).contiguous()
        let input = ((dt * u).unsqueezed(-1) * stateLast(b)).permuted(axis.scanFirst).contiguous()
        let length = decay.shape[0]
        var state = input.selected(dim: 0, index: 0)            // the state starts at 0
        var states = [state]
        for position in 1..<length {
            state = decay.selected(dim: 0, index: position) * state + input.selected(dim: 0, index: position)
            states.append(state)
        }
        let readout = stateLast(c).permuted(axis.scanFirst)      // [L, B, 1, M, N]
        let y = (Tensor.stack(states, dim: 0) * readout).sum(dims: [-1]).permuted(axis.restore)
        return y + d.reshaped(1, -1, 1, 1) * u
    }

    /// Both passes of the MDFormer: rows, then columns of the row pass's output (same Δ, B, C).
    public static func twoPass(_ u: Tensor, dt: Tensor, b: Tensor, c: Tensor, a: Tensor, d: Tensor) -> Tensor {
        let rows = scan(u, dt: dt, b: b, c: c, a: a, d: d, along: .rows)
        return scan(rows, dt: dt, b: b, c: c, a: a, d: d, along: .columns)
    }

    /// A as [1, 1|E, 1, 1, N], to broadcast against Δ [B, E, H, W, 1].
    private static func perChannel(_ a: Tensor) -> Tensor {
        a.rank == 1 ? a.reshaped(1, 1, 1, 1, -1) : a.reshaped(1, a.shape[0], 1, 1, a.shape[1])
    }

    /// [B, N, H, W] -> [B, 1, H, W, N]: the state index last, one copy shared by all channels.
    private static func stateLast(_ t: Tensor) -> Tensor { t.permuted(0, 2, 3, 1).unsqueezed(1) }
}
