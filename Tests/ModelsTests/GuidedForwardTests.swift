import Diffusion
import ModelCard
import Testing
import Torch
@testable import Models

/// Mask guidance runs the U-Net once on 2B samples; with a real network (GroupNorm, attention and
/// the MDFormer all work per sample) that must equal the two forwards of B samples apart.
@Suite struct GuidedForwardTests {
    @Test func oneForwardOfTwoBatchesEqualsTwoForwards() throws {
        Engine.manualSeed(3)
        let model = UNet2DModel(config: TinyModels.config(), mdformer: MDFormerConfig(variant: .segmadiff))
        let x = Tensor.randn([3, 1, 16, 16], generator: Generator(seed: 1))
        let mask = Tensor.rand([3, 1, 16, 16], generator: Generator(seed: 2)) * 2 - 1
        let blank = Tensor.full([1, 1, 16, 16], -1)
        let t = Tensor.full([3], 400, TensorOptions(.int64))
        let denoiser: Denoiser = { input, t in model(input, timesteps: t) }

        try withNoGrad {
            let guidance = MaskGuidance(scale: 2, blank: blank)
            let batched = guidance.predict(denoiser, image: x, condition: mask, timestep: t)
            let guided = model(Tensor.cat([x, mask], dim: 1), timesteps: t)
            let unguided = model(Tensor.cat([x, blank.expanded(to: [3, 1, 16, 16])], dim: 1), timesteps: t)
            let apart = MaskGuidance.combine(guided: guided, unguided: unguided, scale: 2, detailScale: 0)
            #expect((batched - apart).abs().max().float < 1e-5)
        }
    }
}
