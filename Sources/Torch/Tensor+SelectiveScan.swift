import CTorch

extension Tensor {
    /// One pass of the MDFormer's selective scan (docs/python-reference.md §4.3) as a single fused CPU op whose result
    /// supports `backward()`: for every line, s := 0, then at each position
    ///     s = exp(a dt) s + dt u b,    y = Σ_n c s + d u.
    /// u, dt: [B, E, H, W]; b, c: [B, N, H, W]; a: [N] or [E, N]; d: [E]. `dim` 3 scans each row left
    /// to right, 2 each column top to bottom. Needs CPU tensors, all float32 or all float64
    /// (`supportsFusedSelectiveScan`).
    public static func selectiveScan(_ u: Tensor, dt: Tensor, b: Tensor, c: Tensor, a: Tensor, d: Tensor,
                                     dim: Int) -> Tensor {
        withExtendedLifetime((u, dt, b, c, a, d)) {
            Engine.make("selective_scan") {
                ct_selective_scan($0, u.handle, dt.handle, b.handle, c.handle, a.handle, d.handle, Int64(dim))
            }
        }
    }

    /// Both passes of the MDFormer's scan as one fused CPU op: rows left to right, then columns top
    /// to bottom of the rows' output, with the same dt, b, c, a, d. Equal to `selectiveScan` with dim
    /// 3 followed by `selectiveScan` with dim 2, but each plane runs both passes in cache and exp(a dt)
    /// is computed once for both. Same inputs and requirements as `selectiveScan`.
    public static func selectiveScanTwoPass(_ u: Tensor, dt: Tensor, b: Tensor, c: Tensor, a: Tensor, d: Tensor) -> Tensor {
        withExtendedLifetime((u, dt, b, c, a, d)) {
            Engine.make("selective_scan_two_pass") {
                ct_selective_scan_two_pass($0, u.handle, dt.handle, b.handle, c.handle, a.handle, d.handle)
            }
        }
    }

    /// Whether `selectiveScan` and `selectiveScanTwoPass` take these inputs: all on the CPU, all float32 or all float64.
    public static func supportsFusedSelectiveScan(_ inputs: [Tensor]) -> Bool {
        guard let first = inputs.first, first.dtype == .float32 || first.dtype == .float64 else { return false }
        return inputs.allSatisfy { $0.device == .cpu && $0.dtype == first.dtype }
    }
}
