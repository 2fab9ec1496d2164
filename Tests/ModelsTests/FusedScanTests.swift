import Testing
@testable import Models
import Torch

/// Scan inputs on a non-square map (so a rows/columns mix-up shows), with B and C cut out of one
/// projection as the MDFormer does (strided views, not contiguous tensors).
private struct FusedScanInputs {
    let u, dt, b, c, a, d: Tensor

    init(perChannelA: Bool, dtype: DType, seed: UInt64, batch: Int = 2, channels: Int = 6, states: Int = 16,
         height: Int = 5, width: Int = 7) {
        let g = Generator(seed: seed)
        let o = TensorOptions(dtype)
        u = Tensor.randn([batch, channels, height, width], generator: g, o)
        dt = Tensor.randn([batch, channels, height, width], generator: g, o).softplus()
        let projection = Tensor.randn([batch, 1 + 2 * states, height, width], generator: g, o) * 0.5
        b = projection.narrowed(dim: 1, start: 1, length: states)
        c = projection.narrowed(dim: 1, start: 1 + states, length: states)
        a = -(Tensor.randn(perChannelA ? [channels, states] : [states], generator: g, o) * 0.5).exp()
        d = Tensor.randn([channels], generator: g, o)
    }

    var all: [Tensor] { [u, dt, b, c, a, d] }
}

private let names = ["u", "dt", "B", "C", "A", "D"]

/// The output of `scan` on fresh leaves and the gradients of Σ y ⊙ weights.
private func run(_ x: FusedScanInputs, weights: Tensor,
                 _ scan: (Tensor, Tensor, Tensor, Tensor, Tensor, Tensor) -> Tensor) -> (Tensor, [Tensor]) {
    let leaves = x.all.map { $0.clone() }
    for leaf in leaves { leaf.requiresGrad = true }
    let y = scan(leaves[0], leaves[1], leaves[2], leaves[3], leaves[4], leaves[5])
    (y * weights).sum().backward()
    return (y.detached(), leaves.map { $0.grad! })
}

@Suite struct FusedScanTests {
    @Test(arguments: [DType.float32, .float64], [false, true])
    func fusedOpAgreesWithTheBatchedOps(dtype: DType, perChannelA: Bool) {
        let x = FusedScanInputs(perChannelA: perChannelA, dtype: dtype, seed: 11)
        #expect(Tensor.supportsFusedSelectiveScan(x.all))
        let weights = Tensor.randn(x.u.shape, generator: Generator(seed: 12), TensorOptions(dtype))
        let tolerance = dtype == .float64 ? 1e-11 : 2e-5
        for axis in [SelectiveScan.Axis.rows, .columns] {
            let (fused, fusedGrads) = run(x, weights: weights) {
                Tensor.selectiveScan($0, dt: $1, b: $2, c: $3, a: $4, d: $5, dim: axis.dim)
            }
            let (batched, batchedGrads) = run(x, weights: weights) {
                SelectiveScan.batched($0, dt: $1, b: $2, c: $3, a: $4, d: $5, along: axis)
            }
            #expect((fused - batched).abs().max().item <= tolerance * Swift.max(1, batched.abs().max().item), "\(axis) values")
            for (name, (g, reference)) in zip(names, zip(fusedGrads, batchedGrads)) {
                #expect(g.shape == reference.shape, "\(axis) gradient of \(name): shape")
                let scale = Swift.max(1, reference.abs().max().item)
                #expect((g - reference).abs().max().item <= tolerance * scale, "\(axis) gradient of \(name)")
            }
        }
        // Both passes chained, as the MDFormer runs them (the second pass differentiates through the first).
        let (fused, fusedGrads) = run(x, weights: weights) { SelectiveScan.twoPass($0, dt: $1, b: $2, c: $3, a: $4, d: $5) }
        let (batched, batchedGrads) = run(x, weights: weights) {
            let rows = SelectiveScan.batched($0, dt: $1, b: $2, c: $3, a: $4, d: $5, along: .rows)
            return SelectiveScan.batched(rows, dt: $1, b: $2, c: $3, a: $4, d: $5, along: .columns)
        }
        #expect((fused - batched).abs().max().item <= tolerance * Swift.max(1, batched.abs().max().item), "two passes")
        for (name, (g, reference)) in zip(names, zip(fusedGrads, batchedGrads)) {
            let scale = Swift.max(1, reference.abs().max().item)
            #expect((g - reference).abs().max().item <= tolerance * scale, "two passes, gradient of \(name)")
        }
    }

    @Test(arguments: [false, true])
    func fusedGradientsMatchFiniteDifferences(perChannelA: Bool) {
        let x = FusedScanInputs(perChannelA: perChannelA, dtype: .float64, seed: 21, batch: 2, channels: 3, states: 4,
                                height: 3, width: 4)
        let weights = Tensor.randn(x.u.shape, generator: Generator(seed: 22), TensorOptions(.float64))
        // One pass along each axis, and both passes as the single op that runs them plane by plane.
        let scans: [(String, ([Tensor]) -> Tensor)] = [
            ("rows", { Tensor.selectiveScan($0[0], dt: $0[1], b: $0[2], c: $0[3], a: $0[4], d: $0[5], dim: 3) }),
            ("columns", { Tensor.selectiveScan($0[0], dt: $0[1], b: $0[2], c: $0[3], a: $0[4], d: $0[5], dim: 2) }),
            ("two passes", { Tensor.selectiveScanTwoPass($0[0], dt: $0[1], b: $0[2], c: $0[3], a: $0[4], d: $0[5]) }),
        ]
        for (axis, scan) in scans {
            let (_, analytic) = run(x, weights: weights) { scan([$0, $1, $2, $3, $4, $5]) }
            let h = 1e-6
            for input in 0..<6 {
                let base = x.all[input].contiguous()
                let flat = base.reshaped(-1).scalars(as: Double.self)
                let gradient = analytic[input].reshaped(-1).scalars(as: Double.self)
                let f = { (values: [Double]) -> Double in
                    var inputs = x.all
                    inputs[input] = Tensor(values, shape: base.shape)
                    return (scan(inputs) * weights).sum().item
                }
                // First, last and a few in between: every entry of the small tensors.
                for index in Set([0, flat.count - 1, flat.count / 3, flat.count / 2, (2 * flat.count) / 3]) {
                    var plus = flat, minus = flat
                    plus[index] += h
                    minus[index] -= h
                    let numeric = (f(plus) - f(minus)) / (2 * h)
                    #expect(Swift.abs(numeric - gradient[index]) <= 1e-6 * Swift.max(1, Swift.abs(numeric)),
                            "\(axis): d loss / d \(names[input])[\(index)]")
                }
            }
        }
    }

    @Test(arguments: [DType.float32, .float64])
    func twoPassOpEqualsTheTwoSinglePasses(dtype: DType) {
        let x = FusedScanInputs(perChannelA: false, dtype: dtype, seed: 41, channels: 5, height: 6, width: 3)
        let weights = Tensor.randn(x.u.shape, generator: Generator(seed: 42), TensorOptions(dtype))
        let tolerance = dtype == .float64 ? 1e-12 : 1e-5
        let (fused, fusedGrads) = run(x, weights: weights) {
            Tensor.selectiveScanTwoPass($0, dt: $1, b: $2, c: $3, a: $4, d: $5)
        }
        let (chained, chainedGrads) = run(x, weights: weights) {
            let rows = Tensor.selectiveScan($0, dt: $1, b: $2, c: $3, a: $4, d: $5, dim: 3)
            return Tensor.selectiveScan(rows, dt: $1, b: $2, c: $3, a: $4, d: $5, dim: 2)
        }
        #expect((fused - chained).abs().max().item <= tolerance * Swift.max(1, chained.abs().max().item))
        for (name, (g, reference)) in zip(names, zip(fusedGrads, chainedGrads)) {
            #expect(g.shape == reference.shape, "gradient of \(name): shape")
            let scale = Swift.max(1, reference.abs().max().item)
            #expect((g - reference).abs().max().item <= tolerance * scale, "gradient of \(name)")
        }
    }

    /// sum() hands backward a stride-0 gradient and a transposed loss a strided one: the op reads
    /// either in place, with the same result as a contiguous gradient.
    @Test func outputGradientMayHaveAnyStrides() {
        let x = FusedScanInputs(perChannelA: true, dtype: .float64, seed: 51)
        let scan = { (v: [Tensor]) in Tensor.selectiveScanTwoPass(v[0], dt: v[1], b: v[2], c: v[3], a: v[4], d: v[5]) }
        func gradients(_ loss: (Tensor) -> Tensor) -> [Tensor] {
            let leaves = x.all.map { $0.clone() }
            for leaf in leaves { leaf.requiresGrad = true }
            loss(scan(leaves)).backward()
            return leaves.map { $0.grad! }
        }
        let weights = Tensor.randn([x.u.shape[0], x.u.shape[1], x.u.shape[3], x.u.shape[2]], generator: Generator(seed: 52),
                                   TensorOptions(.float64))
        let cases: [(String, (Tensor) -> Tensor, (Tensor) -> Tensor)] = [
            ("sum", { $0.sum() }, { ($0 * Tensor.ones(x.u.shape, TensorOptions(.float64))).sum() }),
            ("transposed", { ($0.transposed(2, 3) * weights).sum() }, { ($0 * weights.transposed(2, 3).contiguous()).sum() }),
        ]
        for (label, strided, contiguous) in cases {
            for (name, (g, reference)) in zip(names, zip(gradients(strided), gradients(contiguous))) {
                #expect((g - reference).abs().max().item <= 1e-12 * Swift.max(1, reference.abs().max().item),
                        "\(label): gradient of \(name)")
            }
        }
    }

    @Test func otherDtypesFallBackToTheBatchedOps() {
        let x = FusedScanInputs(perChannelA: true, dtype: .float32, seed: 31)
        #expect(!Tensor.supportsFusedSelectiveScan([x.u.to(.bfloat16), x.dt, x.b, x.c, x.a, x.d]))
        #expect(!Tensor.supportsFusedSelectiveScan([x.u.to(.float64), x.dt, x.b, x.c, x.a, x.d]))
        let half = x.all.map { $0.to(.bfloat16) }
        let y = SelectiveScan.scan(half[0], dt: half[1], b: half[2], c: half[3], a: half[4], d: half[5], along: .rows)
        let reference = SelectiveScan.scan(x.u, dt: x.dt, b: x.b, c: x.c, a: x.a, d: x.d, along: .rows)
        #expect(y.dtype == .bfloat16)
        #expect((y.to(.float32) - reference).abs().max().item <= 0.1 * Swift.max(1, reference.abs().max().item))
    }
}
