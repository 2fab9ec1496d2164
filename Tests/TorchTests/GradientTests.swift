import Testing
@testable import Torch

/// Autograd against central finite differences, in float64.
@Suite struct GradientTests {
    let f64 = TensorOptions(.float64)

    /// Checks d/dx sum(f(x) * r) for a fixed random r, at every element of x.
    func check(_ x: Tensor, tolerance: Double = 1e-6, _ f: (Tensor) -> Tensor) {
        let r = Tensor.randn(f(x).shape, f64)
        let leaf = x.clone()
        leaf.requiresGrad = true
        (f(leaf) * r).sum().backward()
        let analytic = leaf.grad!.scalars(as: Double.self)
        let values = x.scalars(as: Double.self)
        let h = 1e-6
        for i in 0..<values.count {
            var plus = values, minus = values
            plus[i] += h
            minus[i] -= h
            let fp = withNoGrad { (f(Tensor(plus, shape: x.shape)) * r).sum().item }
            let fm = withNoGrad { (f(Tensor(minus, shape: x.shape)) * r).sum().item }
            let numeric = (fp - fm) / (2 * h)
            #expect(Swift.abs(numeric - analytic[i]) < tolerance * Swift.max(1, Swift.abs(numeric)),
                    "element \(i): numeric \(numeric), autograd \(analytic[i])")
        }
    }

    init() { Engine.manualSeed(7) }

    @Test func conv2d() {
        let w = Tensor.randn([3, 2, 3, 3], f64), b = Tensor.randn([3], f64)
        check(Tensor.randn([1, 2, 5, 5], f64)) { $0.conv2d(weight: w, bias: b, stride: 2, padding: 1) }
        let x = Tensor.randn([1, 2, 4, 4], f64)
        check(w) { x.conv2d(weight: $0, bias: b, padding: 1) }
    }

    @Test func groupNorm() {
        let w = Tensor.randn([4], f64), b = Tensor.randn([4], f64)
        check(Tensor.randn([2, 4, 3, 3], f64)) { $0.groupNorm(groups: 2, weight: w, bias: b) }
    }

    @Test func linear() {
        let w = Tensor.randn([3, 5], f64), b = Tensor.randn([3], f64)
        check(Tensor.randn([2, 5], f64)) { $0.linear(weight: w, bias: b) }
        let x = Tensor.randn([2, 5], f64)
        check(w) { x.linear(weight: $0, bias: b) }
    }

    @Test func attention() {
        let k = Tensor.randn([1, 2, 4, 3], f64), v = Tensor.randn([1, 2, 4, 3], f64)
        check(Tensor.randn([1, 2, 4, 3], f64)) { Tensor.scaledDotProductAttention(query: $0, key: k, value: v) }
        let q = Tensor.randn([1, 2, 4, 3], f64)
        check(k) { Tensor.scaledDotProductAttention(query: q, key: $0, value: v) }
    }

    @Test func softplus() {
        check(Tensor.randn([10], f64) * 4) { $0.softplus() }
    }
}
