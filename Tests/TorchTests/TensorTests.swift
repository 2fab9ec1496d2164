import Testing
@testable import Torch

@Suite struct TensorTests {
    @Test func arithmeticBroadcastsAndReadsBack() {
        let x = Tensor([1, 2, 3, 4] as [Float], shape: [2, 2])
        let y = Tensor([10, 20] as [Float], shape: [2, 1])
        #expect((x * y + 1).scalars(as: Float.self) == [11, 21, 61, 81])
        #expect((2 - x).scalars(as: Float.self) == [1, 0, -1, -2])
        #expect((1 / x).scalars(as: Float.self) == [1, 0.5, Float(1) / 3, 0.25])
        #expect(x.sum(dims: [1]).scalars(as: Float.self) == [3, 7])
        #expect(x.shape == [2, 2] && x.dtype == .float32 && x.device == .cpu)
    }

    @Test func shapeOperations() {
        let x = Tensor.arange(0, 24).reshaped(2, 3, 4)
        #expect(x.permuted(2, 0, 1).shape == [4, 2, 3])
        #expect(x.narrowed(dim: 2, start: 1, length: 2).contiguous().scalars(as: Int64.self).prefix(2) == [1, 2])
        let parts = x.chunked(3, dim: 1)
        #expect(parts.count == 3 && parts[2].shape == [2, 1, 4])
        #expect(Tensor.cat(parts, dim: 1).eq(x).all().item == 1)
        #expect(Tensor.stack([x, x], dim: 0).shape == [2, 2, 3, 4])
        #expect(x.indexSelect(dim: 0, index: Tensor([1] as [Int64])).shape == [1, 3, 4])
    }

    @Test func generatorsAreReproducibleAndRestorable() {
        let g = Generator(seed: 3)
        let saved = g.state
        let a = Tensor.randn([5], generator: g).scalars(as: Float.self)
        g.state = saved
        let b = Tensor.randn([5], generator: g).scalars(as: Float.self)
        #expect(a == b)
        #expect(Tensor.randn([5], generator: Generator(seed: 3)).scalars(as: Float.self) == a)
    }

    @Test func libtorchErrorsComeBackWithTheirMessage() {
        let x = Tensor.zeros([1, 3, 8, 8])
        let conv = Conv2d(4, 2, kernelSize: 3)
        #expect {
            try Engine.catching { conv(x) }
        } throws: { error in
            let failure = error as! EngineError
            return failure.operation == "conv2d" && failure.message.contains("to have 4 channels, but got 3 channels")
        }
        // The trap is scoped: a later good call inside a new scope succeeds.
        let ok = try? Engine.catching { conv(Tensor.zeros([1, 4, 8, 8])) }
        #expect(ok?.shape == [1, 2, 6, 6])
    }

    @Test func interpolationModes() {
        let x = Tensor([0, 1, 2, 3] as [Float], shape: [1, 1, 2, 2])
        let up = x.interpolated(height: 4, width: 4, mode: .nearest)
        #expect(up.scalars(as: Float.self) == [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3, 2, 2, 3, 3])
        let down = Tensor.ones([1, 1, 8, 8]).interpolated(height: 3, width: 3, mode: .bilinearAntialias)
        #expect(down.scalars(as: Float.self).allSatisfy { Swift.abs($0 - 1) < 1e-6 })
    }
}
