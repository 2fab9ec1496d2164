import CTorch

extension Tensor {
    /// Whether operations on this tensor are recorded for differentiation.
    public var requiresGrad: Bool {
        get {
            var on = false
            Engine.check("requires_grad", ct_requires_grad(handle, &on))
            return on
        }
        set { Engine.check("requires_grad_", ct_set_requires_grad(handle, newValue)) }
    }

    /// Accumulates gradients of this (scalar) tensor into the leaves it depends on.
    public func backward(_ gradient: Tensor? = nil) {
        withExtendedLifetime(gradient) { Engine.check("backward", ct_backward(handle, gradient?.handle)) }
    }

    /// The accumulated gradient, or nil when none has been computed.
    public var grad: Tensor? {
        var out: ct_tensor?
        Engine.check("grad", ct_grad(&out, handle))
        return out.map { Tensor(handle: $0) }
    }

    /// Drops the accumulated gradient.
    public func zeroGrad() { Engine.check("zero_grad", ct_zero_grad(handle)) }

    /// The same data, cut from the autograd graph.
    public func detached() -> Tensor { Engine.make("detach") { ct_detach($0, handle) } }
}

/// Runs `body` with gradient recording off on this thread (sampling, evaluation, weight updates).
public func withNoGrad<T>(_ body: () throws -> T) rethrows -> T {
    let previous = ct_set_grad_enabled(false)
    defer { _ = ct_set_grad_enabled(previous) }
    return try body()
}

/// Runs `body` with gradient recording on, whatever the caller's mode.
public func withGrad<T>(_ body: () throws -> T) rethrows -> T {
    let previous = ct_set_grad_enabled(true)
    defer { _ = ct_set_grad_enabled(previous) }
    return try body()
}
