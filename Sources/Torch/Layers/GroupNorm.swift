/// Group normalisation over NC... input with a per-channel affine (weight 1, bias 0 at start).
public final class GroupNorm: Module {
    @Parameter public var weight: Tensor
    @Parameter public var bias: Tensor
    public let groups: Int
    public let eps: Double

    public init(groups: Int, channels: Int, eps: Double = 1e-5) {
        precondition(channels % groups == 0, "GroupNorm: \(channels) channels do not split into \(groups) groups")
        self.weight = Tensor.ones([channels])
        self.bias = Tensor.zeros([channels])
        self.groups = groups
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.groupNorm(groups: groups, weight: weight, bias: bias, eps: eps)
    }
}
