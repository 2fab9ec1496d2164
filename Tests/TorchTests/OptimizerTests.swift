import Testing
@testable import Torch

/// A tiny conv net trained with fused AdamW and gradient clipping fits a fixed batch.
private final class TinyNet: Module {
    @Child var conv1 = Conv2d(2, 8, kernelSize: 3, padding: 1)
    @Child var norm = GroupNorm(groups: 2, channels: 8)
    @Child var conv2 = Conv2d(8, 1, kernelSize: 3, padding: 1)

    func callAsFunction(_ x: Tensor) -> Tensor { conv2(norm(conv1(x)).silu()) }
}

@Suite struct OptimizerTests {
    @Test func tinyNetFitsABatch() {
        Engine.manualSeed(0)
        let net = TinyNet()
        net.setRequiresGrad(true)
        let x = Tensor.randn([4, 2, 8, 8])
        let target = x.narrowed(dim: 1, start: 0, length: 1).tanh() * 0.5
        var settings = AdamW.Settings()
        settings.learningRate = 1e-2
        let optimizer = AdamW(net.namedParameters(), settings: settings)
        func loss() -> Tensor { net(x).mseLoss(target) }
        let first = withNoGrad { loss().item }
        for _ in 0..<200 {
            let l = loss()
            l.backward()
            clipGradNorm(net.parameters(), maxNorm: 1.0)
            optimizer.step()
            optimizer.zeroGrad()
        }
        let last = withNoGrad { loss().item }
        #expect(last < first / 10, "loss \(first) -> \(last)")
    }

    @Test func clippingScalesToTheNorm() {
        let p = Tensor([3, 4] as [Float])
        p.requiresGrad = true
        (p * p / 2).sum().backward() // grad = p, norm 5
        let norm = clipGradNorm([p], maxNorm: 1.0)
        #expect(Swift.abs(norm.item - 5) < 1e-6)
        let g = p.grad!.scalars(as: Float.self)
        #expect(Swift.abs(g[0] - 0.6) < 1e-5 && Swift.abs(g[1] - 0.8) < 1e-5)
    }

    @Test func adamStateRoundTrips() throws {
        let p = Tensor([1, 2] as [Float])
        p.requiresGrad = true
        let a = AdamW([("p", p)])
        (p * p).sum().backward()
        a.step()
        let b = AdamW([("p", p)])
        try b.load(state: a.state())
        #expect(b.state()["step.p"]!.item == 1)
        #expect(b.state()["exp_avg.p"]!.bytes() == a.state()["exp_avg.p"]!.bytes())
    }
}
