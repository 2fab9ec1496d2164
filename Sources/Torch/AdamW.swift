import CTorch

/// AdamW with decoupled weight decay on libtorch's fused kernel (one call updates every parameter).
/// Parameters without a gradient in a step are left alone, as in PyTorch.
public final class AdamW {
    public struct Settings: Sendable, Equatable {
        public var learningRate = 1e-4
        public var beta1 = 0.9
        public var beta2 = 0.999
        public var eps = 1e-8
        public var weightDecay = 0.01
        public init() {}
    }

    public let parameters: [(key: String, tensor: Tensor)]
    public var settings: Settings
    private var expAvg: [Tensor]
    private var expAvgSq: [Tensor]
    private var steps: [Tensor]

    public init(_ parameters: [(key: String, tensor: Tensor)], settings: Settings = Settings()) {
        self.parameters = parameters
        self.settings = settings
        expAvg = parameters.map { Tensor.zeros(like: $0.tensor) }
        expAvgSq = parameters.map { Tensor.zeros(like: $0.tensor) }
        steps = parameters.map { _ in Tensor.zeros([], TensorOptions(.float32)) }
    }

    /// One update at `learningRate` (default: the settings' rate), with the gradients clipped by
    /// `clip` inside the update (the same result as clipGradNorm before it, without a pass of its own).
    public func step(learningRate: Double? = nil, clip: GradientClip? = nil) {
        var p: [Tensor] = [], g: [Tensor] = [], m: [Tensor] = [], v: [Tensor] = [], s: [Tensor] = []
        for (i, parameter) in parameters.enumerated() {
            guard let grad = parameter.tensor.grad else { continue }
            p.append(parameter.tensor); g.append(grad); m.append(expAvg[i]); v.append(expAvgSq[i]); s.append(steps[i])
        }
        guard !p.isEmpty else { return }
        let handles = [p, g, m, v, s].map { $0.map { Optional($0.handle) } }
        withExtendedLifetime(([p, g, m, v, s], clip)) {
            Engine.check("fused_adamw", ct_fused_adamw(
                handles[0], handles[1], handles[2], handles[3], handles[4], Int64(p.count),
                learningRate ?? settings.learningRate, settings.beta1, settings.beta2, settings.weightDecay,
                settings.eps, clip?.divisor.handle))
        }
    }

    /// Drops every parameter's gradient.
    public func zeroGrad() {
        for parameter in parameters { parameter.tensor.zeroGrad() }
    }

    /// The moments and step counts, keyed by parameter name, for saving.
    public func state() -> [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (i, parameter) in parameters.enumerated() {
            state["exp_avg.\(parameter.key)"] = expAvg[i]
            state["exp_avg_sq.\(parameter.key)"] = expAvgSq[i]
            state["step.\(parameter.key)"] = steps[i]
        }
        return state
    }

    /// Restores what `state()` saved; every parameter must be present with its shape.
    public func load(state: [String: Tensor]) throws {
        var problems = StateDictMismatch()
        for (i, parameter) in parameters.enumerated() {
            for (name, target) in [("exp_avg", expAvg[i]), ("exp_avg_sq", expAvgSq[i]), ("step", steps[i])] {
                let key = "\(name).\(parameter.key)"
                guard let value = state[key] else { problems.missing.append(key); continue }
                if value.shape != target.shape { problems.wrongShape.append((key, value.shape, target.shape)) }
            }
        }
        guard problems.isEmpty else { throw problems }
        for (i, parameter) in parameters.enumerated() {
            expAvg[i].copy(from: state["exp_avg.\(parameter.key)"]!)
            expAvgSq[i].copy(from: state["exp_avg_sq.\(parameter.key)"]!)
            steps[i].copy(from: state["step.\(parameter.key)"]!)
        }
    }
}

/// Gradient clipping to a global L2 norm, left for AdamW.step to apply inside its update: clipping
/// in place costs a read and a write of every gradient (0.9 GB of memory traffic per step for the
/// full-size model).
public struct GradientClip {
    /// The gradients' global L2 norm before clipping (a 0-d tensor).
    public let norm: Tensor
    /// What clipping divides every gradient by: 1 when the norm is within the limit.
    let divisor: Tensor

    /// Clipping `parameters`' gradients to `maxNorm`, as torch.nn.utils.clip_grad_norm_.
    public init(_ parameters: [Tensor], maxNorm: Double) {
        let handles = parameters.map { Optional($0.handle) }
        var divisor: ct_tensor?
        norm = withExtendedLifetime(parameters) {
            Engine.make("clip_grad_norm") { ct_grad_clip_divisor($0, &divisor, handles, Int64(handles.count), maxNorm) }
        }
        self.divisor = Tensor(handle: divisor ?? ct_undefined())
    }
}

/// Scales the gradients of `parameters` so their global L2 norm is at most `maxNorm`, as
/// torch.nn.utils.clip_grad_norm_; returns the norm before clipping (a 0-d tensor, no host sync).
@discardableResult
public func clipGradNorm(_ parameters: [Tensor], maxNorm: Double) -> Tensor {
    let handles = parameters.map { Optional($0.handle) }
    return withExtendedLifetime(parameters) {
        Engine.make("clip_grad_norm") { ct_clip_grad_norm($0, handles, Int64(handles.count), maxNorm) }
    }
}
