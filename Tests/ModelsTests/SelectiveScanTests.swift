import Testing
@testable import Models
import Torch

/// Random scan inputs with a live step size (Δ around 0.3-1.3, not the fork's dead 1e-8).
private struct ScanInputs {
    let u, dt, b, c, aLog, d: Tensor

    init(perChannelA: Bool, dtype: DType = .float32, seed: UInt64 = 1) {
        let g = Generator(seed: seed)   // not the global one: tests run in parallel
        let (batch, channels, states, size) = (2, 8, 16, 8)
        let o = TensorOptions(dtype)
        u = Tensor.randn([batch, channels, size, size], generator: g, o)
        dt = Tensor.randn([batch, channels, size, size], generator: g, o).softplus()
        b = Tensor.randn([batch, states, size, size], generator: g, o) * 0.5
        c = Tensor.randn([batch, states, size, size], generator: g, o) * 0.5
        let aShape = perChannelA ? [channels, states] : [states]
        aLog = Tensor.randn(aShape, generator: g, o) * 0.5
        d = Tensor.randn([channels], generator: g, o)
    }

    var a: Tensor { -aLog.exp() }
    var all: [Tensor] { [u, dt, b, c, aLog, d] }
}

@Suite struct SelectiveScanTests {
    @Test(arguments: [false, true])
    func batchedScanEqualsThePerPixelLoop(perChannelA: Bool) {
        let x = ScanInputs(perChannelA: perChannelA)
        #expect(x.dt.min().item > 0.01, "the test needs a live step size")
        let rows = SelectiveScan.scan(x.u, dt: x.dt, b: x.b, c: x.c, a: x.a, d: x.d, along: .rows)
        let naiveRows = NaiveScan.rows(x.u, dt: x.dt, b: x.b, c: x.c, a: x.a, d: x.d)
        #expect((rows - naiveRows).abs().max().item <= 1e-5)
        let both = SelectiveScan.twoPass(x.u, dt: x.dt, b: x.b, c: x.c, a: x.a, d: x.d)
        let naiveBoth = NaiveScan.twoPass(x.u, dt: x.dt, b: x.b, c: x.c, a: x.a, d: x.d)
        #expect((both - naiveBoth).abs().max().item <= 1e-5)
        // The state really carries information along the lines (not just D ⊙ u).
        #expect((naiveBoth - x.d.reshaped(1, -1, 1, 1) * (x.d.reshaped(1, -1, 1, 1) * x.u)).abs().max().item > 0.1)
    }

    @Test func columnsPassScansTopToBottom() {
        let x = ScanInputs(perChannelA: false)
        let t = { (v: Tensor) in v.transposed(2, 3) }
        let columns = SelectiveScan.scan(x.u, dt: x.dt, b: x.b, c: x.c, a: x.a, d: x.d, along: .columns)
        let naive = t(NaiveScan.rows(t(x.u), dt: t(x.dt), b: t(x.b), c: t(x.c), a: x.a, d: x.d))
        #expect((columns - naive).abs().max().item <= 1e-5)
    }

    @Test(arguments: [false, true])
    func gradientsEqualThoseOfThePerPixelLoop(perChannelA: Bool) {
        let x = ScanInputs(perChannelA: perChannelA, dtype: .float64, seed: 2)
        let weights = Tensor.randn(x.u.shape, generator: Generator(seed: 9), TensorOptions(.float64))
        func gradients(_ scan: (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) -> Tensor) -> [Tensor] {
            let leaves = x.all.map { $0.clone() }
            for leaf in leaves { leaf.requiresGrad = true }
            let y = scan(leaves[0], leaves[1], leaves[2], leaves[3], -leaves[4].exp(), leaves[5])
            (y * weights).sum().backward()
            return leaves.map { $0.grad! }
        }
        let batched = gradients { SelectiveScan.twoPass($0, dt: $1, b: $2, c: $3, a: $4, d: $5) }
        let naive = gradients { NaiveScan.twoPass($0, dt: $1, b: $2, c: $3, a: $4, d: $5) }
        for (name, (g, reference)) in zip(["u", "dt", "B", "C", "A_log", "D"], zip(batched, naive)) {
            let scale = Swift.max(1, reference.abs().max().item)
            #expect((g - reference).abs().max().item <= 1e-10 * scale, "gradient of \(name)")
        }
    }

    @Test func gradientMatchesFiniteDifferences() {
        let x = ScanInputs(perChannelA: true, dtype: .float64, seed: 3)
        let weights = Tensor.randn(x.u.shape, generator: Generator(seed: 9), TensorOptions(.float64))
        func loss(_ dt: Tensor) -> Tensor {
            (SelectiveScan.twoPass(x.u, dt: dt, b: x.b, c: x.c, a: x.a, d: x.d) * weights).sum()
        }
        let dt = x.dt.clone()
        dt.requiresGrad = true
        loss(dt).backward()
        let analytic = dt.grad!.reshaped(-1).scalars(as: Double.self)
        let flat = x.dt.reshaped(-1).scalars(as: Double.self)
        let h = 1e-6
        for index in [0, 77, 300, 1023] {
            var plus = flat, minus = flat
            plus[index] += h
            minus[index] -= h
            let f = { (v: [Double]) in loss(Tensor(v, shape: x.dt.shape)).item }
            let numeric = (f(plus) - f(minus)) / (2 * h)
            #expect(Swift.abs(numeric - analytic[index]) <= 1e-6 * Swift.max(1, Swift.abs(numeric)), "d loss / d dt[\(index)]")
        }
    }
}
