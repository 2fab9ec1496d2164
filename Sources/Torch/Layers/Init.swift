/// PyTorch's default initialisations, drawn from libtorch's default generator (`Engine.manualSeed`).
public enum Init {
    /// U(-bound, bound).
    public static func uniform(_ shape: [Int], bound: Double) -> Tensor {
        withNoGrad { Tensor.rand(shape) * (2 * bound) - bound }
    }

    /// kaiming_uniform_ with a = sqrt(5), PyTorch's default for conv and linear weights:
    /// U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    public static func kaimingUniform(_ shape: [Int], fanIn: Int) -> Tensor {
        uniform(shape, bound: 1 / Double(fanIn).squareRoot())
    }
}
