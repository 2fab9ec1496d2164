/// 2-D convolution over NCHW input, initialised as PyTorch's `nn.Conv2d`.
public final class Conv2d: Module {
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor?
    public let stride: Int
    public let padding: Int
    public let groups: Int

    public init(_ inChannels: Int, _ outChannels: Int, kernelSize: Int, stride: Int = 1, padding: Int = 0,
                groups: Int = 1, bias: Bool = true) {
        precondition(inChannels % groups == 0, "Conv2d: \(inChannels) input channels do not split into \(groups) groups")
        let fanIn = inChannels / groups * kernelSize * kernelSize
        self.weight = Init.kaimingUniform([outChannels, inChannels / groups, kernelSize, kernelSize], fanIn: fanIn)
        self.bias = bias ? Init.uniform([outChannels], bound: 1 / Double(fanIn).squareRoot()) : nil
        self.stride = stride
        self.padding = padding
        self.groups = groups
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding, groups: groups)
    }
}
