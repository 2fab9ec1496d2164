@testable import Models
import Torch

/// The scan exactly as docs/python-reference.md §4.3 writes it (and as the fork runs it): one step per pixel, row by
/// row, state reset at each row's start. Slow on purpose; the yardstick for `SelectiveScan`.
enum NaiveScan {
    /// One left-to-right pass over every row. Shapes as `SelectiveScan.scan`.
    static func rows(_ u: Tensor, dt: Tensor, b: Tensor, c: Tensor, a: Tensor, d: Tensor) -> Tensor {
        let (batch, channels, height, width) = (u.shape[0], u.shape[1], u.shape[2], u.shape[3])
        let states = a.shape.last!
        let aRow = a.rank == 1 ? a.reshaped(1, 1, states) : a.reshaped(1, channels, states)
        var rows: [Tensor] = []
        for i in 0..<height {
            var h = Tensor.zeros([batch, channels, states], TensorOptions(u.dtype))
            var outputs: [Tensor] = []
            for j in 0..<width {
                let uij = pixel(u, i, j), dij = pixel(dt, i, j)               // [B, E]
                let bij = pixel(b, i, j).unsqueezed(1), cij = pixel(c, i, j).unsqueezed(1)   // [B, 1, N]
                h = (aRow * dij.unsqueezed(-1)).exp() * h + (uij * dij).unsqueezed(-1) * bij
                outputs.append((h * cij).sum(dims: [-1]) + d * uij)
            }
            rows.append(Tensor.stack(outputs, dim: -1))                       // [B, E, W]
        }
        return Tensor.stack(rows, dim: 2)
    }

    /// Rows, then columns of the rows' output, as the MDFormer does.
    static func twoPass(_ u: Tensor, dt: Tensor, b: Tensor, c: Tensor, a: Tensor, d: Tensor) -> Tensor {
        let first = rows(u, dt: dt, b: b, c: c, a: a, d: d)
        let t = { (x: Tensor) in x.transposed(2, 3) }
        return t(rows(t(first), dt: t(dt), b: t(b), c: t(c), a: a, d: d))
    }

    private static func pixel(_ x: Tensor, _ i: Int, _ j: Int) -> Tensor {
        x.selected(dim: 2, index: i).selected(dim: 2, index: j)
    }
}
