import Torch

/// Halves the resolution with a strided 3x3 convolution (docs/python-reference.md §3.5; key `downsamplers.0.conv`).
final class Downsample2D: Module {
    @Child var conv: Conv2d

    init(channels: Int) {
        conv = Conv2d(channels, channels, kernelSize: 3, stride: 2, padding: 1)
    }

    func callAsFunction(_ x: Tensor) -> Tensor { conv(x) }
}

/// Doubles the resolution: nearest neighbour, then a 3x3 convolution (key `upsamplers.0.conv`).
final class Upsample2D: Module {
    @Child var conv: Conv2d

    init(channels: Int) {
        conv = Conv2d(channels, channels, kernelSize: 3, padding: 1)
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        conv(x.interpolated(height: x.shape[2] * 2, width: x.shape[3] * 2, mode: .nearest))
    }
}
