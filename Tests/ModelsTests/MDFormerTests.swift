import Foundation
import ModelCard
import Testing
@testable import Models
import Torch

@Suite struct MDFormerTests {
    /// docs/python-reference.md §4.4 / Appendix A.4: the fork's off-centre kernel, value by value.
    @Test func referenceHighPassKernelHasTheForksValues() {
        let hp = HighPassKernel.make(size: 15, sigma: 3, centred: false)
        #expect(hp.dtype == .float32 && hp.shape == [15, 15])
        let v = hp.scalars(as: Float.self)
        func at(_ i: Int, _ j: Int) -> Double { Double(v[i * 15 + j]) }
        #expect(Swift.abs(at(7, 7) - 0.97994026) < 1e-7)
        #expect(Swift.abs(at(7, 8) - -0.01997464) < 1e-7 && at(7, 8) == at(8, 7))
        #expect(Swift.abs(at(8, 8) - -0.01988989) < 1e-7)
        #expect(Swift.abs(at(0, 0) - -1.683e-5) < 1e-8)
        #expect(Swift.abs(at(14, 14) - -8.910e-5) < 1e-8)
        #expect(Swift.abs(hp.to(.float64).sum().item) < 1e-6)
        #expect(hp.eq(hp.transposed(0, 1)).all().item == 1, "exactly symmetric under transpose")
        #expect(hp.eq(hp.flipped([0, 1])).all().item == 0, "the fork's kernel is off centre")
        #expect(HighPassKernel.grid(size: 15, centred: false) == (-8, 7))
    }

    @Test func centredHighPassKernelIsSymmetricAboutItsCentre() {
        let hp = HighPassKernel.make(size: 15, sigma: 3, centred: true)
        #expect(hp.eq(hp.flipped([0, 1])).all().item == 1)
        #expect(hp.eq(hp.transposed(0, 1)).all().item == 1)
        #expect(Swift.abs(hp.to(.float64).sum().item) < 1e-6)
        #expect(HighPassKernel.grid(size: 15, centred: true) == (-7, 7))
    }

    /// A = -10^(-n/15): shared [16] in the reference variant, per channel [E, 16] in segmadiff.
    @Test(arguments: MDFormerConfig.Variant.allCases)
    func stateMatrixStartsAtMinusTenToTheMinusNOverFifteen(variant: MDFormerConfig.Variant) {
        let block = MDFormer(channels: 8, config: MDFormerConfig(variant: variant))
        #expect(block.aLog.shape == (variant == .reference ? [16] : [16, 16]))
        let expected = Tensor((0..<16).map { -Foundation.pow(10, -Double($0) / 15) })
        let a = (-block.aLog.to(.float64).exp()).reshaped(-1, 16)
        #expect((a - expected.unsqueezed(0)).abs().max().item < 1e-6)
    }

    /// Appendix A.5: the fork's sign error puts the bias at Δ0 - 18.42; the fixed inverse softplus
    /// gives softplus(bias) = Δ0 in [1e-3, 0.1].
    @Test func stepBiasRanges() {
        let reference = MDFormer.stepBias(channels: 4096, config: MDFormerConfig(variant: .reference)).to(.float64)
        #expect(reference.min().item >= -18.41968 - 1e-5 && reference.max().item <= -18.32068 + 1e-5)
        let fixed = MDFormer.stepBias(channels: 4096, config: MDFormerConfig(variant: .segmadiff)).to(.float64)
        #expect(fixed.min().item >= -6.90726 - 1e-4 && fixed.max().item <= -2.25217 + 1e-4)
        let dt0 = fixed.softplus()
        #expect(dt0.min().item >= 1e-3 * (1 - 1e-4) && dt0.max().item <= 0.1 * (1 + 1e-4))
        #expect(fixed.max().item - fixed.min().item > 3, "Δ0 spreads over its log-uniform range")
    }

    @Test func variantsDifferInTheirKeys() {
        let reference = MDFormer(channels: 8, config: MDFormerConfig(variant: .reference)).stateDict()
        let segmadiff = MDFormer(channels: 8, config: MDFormerConfig(variant: .segmadiff)).stateDict()
        #expect(reference.keys.sorted() == ["A_log", "D", "dt_proj.bias", "dt_proj.weight", "dw_conv.bias", "dw_conv.weight",
                                            "in_proj.bias", "in_proj.weight", "out_proj.bias", "out_proj.weight", "x_proj.weight"])
        #expect(Set(segmadiff.keys).subtracting(reference.keys) == ["dyt_alpha", "dyt_weight", "dyt_bias"])
        #expect(segmadiff["dyt_alpha"]!.shape == [1] && segmadiff["dyt_alpha"]!.item == 0.5)
        #expect(segmadiff["dyt_weight"]!.eq(1).all().item == 1 && segmadiff["dyt_weight"]!.shape == [16])
        #expect(segmadiff["dyt_bias"]!.eq(0).all().item == 1 && segmadiff["dyt_bias"]!.shape == [16])
    }

    /// With DynamicTanh at its start values and the same kernel and A, the learnable block computes
    /// what the fork's constant one does.
    @Test func learnableDynamicTanhAtItsStartEqualsTheConstantOne() throws {
        let config = MDFormerConfig(variant: .segmadiff)
        let learnable = MDFormer(channels: 8, config: config)
        let constant = MDFormer(channels: 8, config: MDFormerConfig(variant: .reference))
        var weights = learnable.stateDict()
        for key in ["dyt_alpha", "dyt_weight", "dyt_bias"] { weights[key] = nil }
        weights["A_log"] = weights["A_log"]!.selected(dim: 0, index: 0)
        try constant.load(stateDict: weights)
        // Only the kernel grid differs; give both the same one.
        constant.highpass = learnable.highpass
        let x = Tensor.randn([2, 8, 6, 6], generator: Generator(seed: 4))
        let difference = withNoGrad { (learnable(x) - constant(x)).abs().max().item }
        #expect(difference == 0)
    }

    @Test func highPassBufferIsNotSavedAndFollowsTheModelsDtype() {
        let model = UNet2DModel(config: TinyModels.config(), mdformer: MDFormerConfig(variant: .segmadiff))
        #expect(!model.stateDict().keys.contains { $0.contains("hp") || $0.contains("highpass") })
        model.move(to: .cpu, dtype: .float64)
        #expect(model.mdformer!.highpass.dtype == .float64)
        let x = Tensor.randn([1, 2, 16, 16], TensorOptions(.float64))
        let y = withNoGrad { model(x, timesteps: Tensor(scalar: Int64(10))) }
        #expect(y.dtype == .float64 && y.shape == [1, 1, 16, 16])
    }

    /// The high-pass kernel is cut to the taps that can reach the map; the sums are those of the whole
    /// 15 x 15 kernel on every map, smaller than it, wider than tall, and large enough to need it all.
    @Test(arguments: [(1, 1), (2, 2), (3, 5), (4, 4), (8, 8), (20, 20)])
    func cutHighPassKernelGivesTheWholeKernelsSums(height: Int, width: Int) {
        let block = MDFormer(channels: 4, config: MDFormerConfig(variant: .reference))
        let v = Tensor.randn([2, 8, height, width], TensorOptions(.float64))
        block.moveBuffers(to: TensorOptions(.float64))
        let whole = block.highpass
        let cut = block.highpassKernel(matching: v)
        #expect(cut.shape[3] == min(15, 2 * max(height, width) - 1))
        let expected = v.conv2d(weight: whole, bias: nil, padding: 7, groups: 8)
        let got = v.conv2d(weight: cut, bias: nil, padding: cut.shape[3] / 2, groups: 8)
        #expect(got.shape == expected.shape)
        #expect((got - expected).abs().max().item < 1e-12)
    }
}
