import Torch

/// An exponential moving average of a model's weights: shadow = decay * shadow + (1 - decay) * weight
/// after every optimizer step, one fused call over all parameters.
public final class ExponentialMovingAverage {
    public let decay: Double
    public let keys: [String]
    public private(set) var shadow: [Tensor]

    public init(_ parameters: [(key: String, tensor: Tensor)], decay: Double) {
        self.decay = decay
        keys = parameters.map(\.key)
        shadow = withNoGrad { parameters.map { $0.tensor.detached().clone() } }
    }

    public func update(_ parameters: [Tensor]) {
        withNoGrad { ForEach.lerp(shadow, toward: parameters, weight: 1 - decay) }
    }

    public var stateDict: [String: Tensor] { Dictionary(uniqueKeysWithValues: zip(keys, shadow)) }

    public func load(_ state: [String: Tensor]) throws {
        var problems = StateDictMismatch()
        for (key, tensor) in zip(keys, shadow) {
            guard let value = state[key] else { problems.missing.append(key); continue }
            if value.shape != tensor.shape { problems.wrongShape.append((key, value.shape, tensor.shape)) }
        }
        guard problems.isEmpty else { throw problems }
        for (key, tensor) in zip(keys, shadow) { tensor.copy(from: state[key]!) }
    }
}
