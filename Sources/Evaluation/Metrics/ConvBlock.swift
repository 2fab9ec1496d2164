import Torch

/// Two 3x3 convolutions, each followed by GroupNorm and SiLU; the first may stride 2 to go down a
/// level (a learned downsampling, where a pooling op would need the engine to grow).
final class ConvBlock: Module {
    @Child var conv1: Conv2d
    @Child var norm1: GroupNorm
    @Child var conv2: Conv2d
    @Child var norm2: GroupNorm

    init(_ inChannels: Int, _ outChannels: Int, stride: Int = 1) {
        let groups = outChannels / SegmentationUNet.groupSize
        conv1 = Conv2d(inChannels, outChannels, kernelSize: 3, stride: stride, padding: 1)
        norm1 = GroupNorm(groups: groups, channels: outChannels)
        conv2 = Conv2d(outChannels, outChannels, kernelSize: 3, padding: 1)
        norm2 = GroupNorm(groups: groups, channels: outChannels)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        let h = norm1(conv1(x)).silu()
        return norm2(conv2(h)).silu()
    }
}
