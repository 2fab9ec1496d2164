import CTorch

/// In-place updates over lists of tensors, each one libtorch call (weight averaging, EMA).
public enum ForEach {
    /// a[i] += alpha * b[i]
    public static func add(_ a: [Tensor], _ b: [Tensor], alpha: Double = 1) {
        call("foreach_add_", a, b) { ct_foreach_add_($0, $1, $2, alpha) }
    }

    /// a[i] *= s
    public static func multiply(_ a: [Tensor], by s: Double) {
        call("foreach_mul_", a, []) { a, _, n in ct_foreach_mul_scalar_(a, n, s) }
    }

    /// a[i] += weight * (b[i] - a[i])
    public static func lerp(_ a: [Tensor], toward b: [Tensor], weight: Double) {
        call("foreach_lerp_", a, b) { ct_foreach_lerp_($0, $1, $2, weight) }
    }

    private static func call(_ name: String, _ a: [Tensor], _ b: [Tensor],
                             _ body: (UnsafePointer<ct_tensor?>, UnsafePointer<ct_tensor?>, Int64) -> ct_error?) {
        precondition(b.isEmpty || a.count == b.count, "\(name): lists of \(a.count) and \(b.count) tensors")
        let ha = a.map { Optional($0.handle) }, hb = b.map { Optional($0.handle) }
        withExtendedLifetime((a, b)) { Engine.check(name, body(ha, hb, Int64(a.count))) }
    }
}
