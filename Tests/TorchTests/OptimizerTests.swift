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

    /// Clipping inside the update moves the weights as clipping the gradients first does.
    @Test func clippingInsideTheUpdateMatchesClippingFirst() {
        func trained(fused: Bool) -> (weights: [Float], norm: Double) {
            Engine.manualSeed(1)
            let net = TinyNet()
            net.setRequiresGrad(true)
            let optimizer = AdamW(net.namedParameters())
            let x = Tensor.randn([2, 2, 8, 8])
            var norm = 0.0
            for _ in 0..<3 {
                (net(x) * 100).squared().mean().backward()      // a norm far above the limit
                if fused {
                    let clip = GradientClip(net.parameters(), maxNorm: 1.0)
                    optimizer.step(clip: clip)
                    norm = clip.norm.item
                } else {
                    norm = clipGradNorm(net.parameters(), maxNorm: 1.0).item
                    optimizer.step()
                }
                optimizer.zeroGrad()
            }
            return (net.parameters().flatMap { $0.scalars(as: Float.self) }, norm)
        }
        let first = trained(fused: false), inside = trained(fused: true)
        #expect(first.norm > 10)
        #expect(Swift.abs(inside.norm - first.norm) <= 1e-5 * first.norm)
        let gap = zip(first.weights, inside.weights).map { Swift.abs($0 - $1) }.max()!
        #expect(gap < 1e-6, "largest difference \(gap)")
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
