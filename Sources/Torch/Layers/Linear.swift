/// y = x W^T + b, initialised as PyTorch's `nn.Linear`.
public final class Linear: Module {
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor?

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        self.weight = Init.kaimingUniform([outFeatures, inFeatures], fanIn: inFeatures)
        self.bias = bias ? Init.uniform([outFeatures], bound: 1 / Double(inFeatures).squareRoot()) : nil
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { x.linear(weight: weight, bias: bias) }
}
