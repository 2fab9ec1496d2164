import CTorch

// Element-wise maths. Operators broadcast as libtorch does; scalars are Doubles.

extension Tensor {
    @inline(__always)
    func binary(_ name: String, _ op: ct_binary_op, _ other: Tensor) -> Tensor {
        Engine.make(name) { ct_binary($0, op, handle, other.handle) }
    }

    @inline(__always)
    func binary(_ name: String, _ op: ct_binary_op, _ scalar: Double, reversed: Bool = false) -> Tensor {
        Engine.make(name) { ct_binary_scalar($0, op, handle, scalar, reversed) }
    }

    @inline(__always)
    func unary(_ name: String, _ op: ct_unary_op) -> Tensor {
        Engine.make(name) { ct_unary($0, op, handle) }
    }

    public func exp() -> Tensor { unary("exp", CT_EXP) }
    public func log() -> Tensor { unary("log", CT_LOG) }
    public func sqrt() -> Tensor { unary("sqrt", CT_SQRT) }
    public func rsqrt() -> Tensor { unary("rsqrt", CT_RSQRT) }
    public func sin() -> Tensor { unary("sin", CT_SIN) }
    public func cos() -> Tensor { unary("cos", CT_COS) }
    public func tanh() -> Tensor { unary("tanh", CT_TANH) }
    public func sigmoid() -> Tensor { unary("sigmoid", CT_SIGMOID) }
    public func silu() -> Tensor { unary("silu", CT_SILU) }
    public func softplus() -> Tensor { unary("softplus", CT_SOFTPLUS) }
    public func abs() -> Tensor { unary("abs", CT_ABS) }
    public func expm1() -> Tensor { unary("expm1", CT_EXPM1) }
    public func log1p() -> Tensor { unary("log1p", CT_LOG1P) }
    public func relu() -> Tensor { unary("relu", CT_RELU) }
    public func gelu() -> Tensor { unary("gelu", CT_GELU) }
    public func squared() -> Tensor { unary("square", CT_SQUARE) }
    public func floor() -> Tensor { unary("floor", CT_FLOOR) }
    public func ceil() -> Tensor { unary("ceil", CT_CEIL) }
    /// Rounds half to even, as torch.round.
    public func rounded() -> Tensor { unary("round", CT_ROUND) }
    public func sign() -> Tensor { unary("sign", CT_SIGN) }
    public func reciprocal() -> Tensor { unary("reciprocal", CT_RECIPROCAL) }
    public func logicalNot() -> Tensor { unary("logical_not", CT_LOGICAL_NOT) }
    public func isFinite() -> Tensor { unary("isfinite", CT_ISFINITE) }

    public func pow(_ exponent: Double) -> Tensor { binary("pow", CT_POW, exponent) }
    public func pow(_ exponent: Tensor) -> Tensor { binary("pow", CT_POW, exponent) }
    public func maximum(_ other: Tensor) -> Tensor { binary("maximum", CT_MAXIMUM, other) }
    public func minimum(_ other: Tensor) -> Tensor { binary("minimum", CT_MINIMUM, other) }
    public func remainder(_ divisor: Double) -> Tensor { binary("remainder", CT_REMAINDER, divisor) }

    public func eq(_ other: Tensor) -> Tensor { binary("eq", CT_EQ, other) }
    public func ne(_ other: Tensor) -> Tensor { binary("ne", CT_NE, other) }
    public func lt(_ other: Tensor) -> Tensor { binary("lt", CT_LT, other) }
    public func le(_ other: Tensor) -> Tensor { binary("le", CT_LE, other) }
    public func gt(_ other: Tensor) -> Tensor { binary("gt", CT_GT, other) }
    public func ge(_ other: Tensor) -> Tensor { binary("ge", CT_GE, other) }
    public func eq(_ value: Double) -> Tensor { binary("eq", CT_EQ, value) }
    public func ne(_ value: Double) -> Tensor { binary("ne", CT_NE, value) }
    public func lt(_ value: Double) -> Tensor { binary("lt", CT_LT, value) }
    public func le(_ value: Double) -> Tensor { binary("le", CT_LE, value) }
    public func gt(_ value: Double) -> Tensor { binary("gt", CT_GT, value) }
    public func ge(_ value: Double) -> Tensor { binary("ge", CT_GE, value) }
    public func logicalAnd(_ other: Tensor) -> Tensor { binary("logical_and", CT_LOGICAL_AND, other) }
    public func logicalOr(_ other: Tensor) -> Tensor { binary("logical_or", CT_LOGICAL_OR, other) }

    /// Limits values to [min, max]; either bound may be left out.
    public func clamped(min: Double? = nil, max: Double? = nil) -> Tensor {
        Engine.make("clamp") { ct_clamp($0, handle, min ?? 0, max ?? 0, min != nil, max != nil) }
    }

    /// `a` where `condition` is true, else `b`.
    public static func `where`(_ condition: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        Engine.make("where") { ct_where($0, condition.handle, a.handle, b.handle) }
    }
}

public func + (a: Tensor, b: Tensor) -> Tensor { a.binary("add", CT_ADD, b) }
public func - (a: Tensor, b: Tensor) -> Tensor { a.binary("sub", CT_SUB, b) }
public func * (a: Tensor, b: Tensor) -> Tensor { a.binary("mul", CT_MUL, b) }
public func / (a: Tensor, b: Tensor) -> Tensor { a.binary("div", CT_DIV, b) }
public func + (a: Tensor, b: Double) -> Tensor { a.binary("add", CT_ADD, b) }
public func - (a: Tensor, b: Double) -> Tensor { a.binary("sub", CT_SUB, b) }
public func * (a: Tensor, b: Double) -> Tensor { a.binary("mul", CT_MUL, b) }
public func / (a: Tensor, b: Double) -> Tensor { a.binary("div", CT_DIV, b) }
public func + (a: Double, b: Tensor) -> Tensor { b.binary("add", CT_ADD, a, reversed: true) }
public func - (a: Double, b: Tensor) -> Tensor { b.binary("sub", CT_SUB, a, reversed: true) }
public func * (a: Double, b: Tensor) -> Tensor { b.binary("mul", CT_MUL, a, reversed: true) }
public func / (a: Double, b: Tensor) -> Tensor { b.binary("div", CT_DIV, a, reversed: true) }
public prefix func - (a: Tensor) -> Tensor { a.unary("neg", CT_NEG) }
