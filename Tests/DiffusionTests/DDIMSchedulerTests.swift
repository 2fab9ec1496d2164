import Testing
import Torch
@testable import Diffusion

@Suite struct DDIMSchedulerTests {
    /// Every `ddim50_step_tT` (eta 0) of each fixture root.
    @Test func stepsMatchDiffusersBitForBit() throws {
        for file in try FixtureFiles.schedulers() {
            let x = try file.required("step_x"), eps = try file.required("step_eps")
            let scheduler = DDIMScheduler()
            try scheduler.setTimesteps(50)
            let steps = file.numbers(between: "ddim50_step_t")
            #expect(steps.contains(0) && steps.count >= 4, "\(file.path)")
            for t in steps {
                let next = scheduler.step(modelOutput: eps, timestep: t, sample: x)
                let difference = maxDifference(next, try file.required("ddim50_step_t\(t)"))
                #expect(difference <= referenceTolerance, "\(file.path): t = \(t): \(difference)")
            }
        }
    }

    /// eta > 0 adds σ_t·z, against diffusers with the same z (from make_dpmpp_fixture.py).
    @Test func etaStepsMatchDiffusers() throws {
        let file = try FixtureFiles.dpmpp()
        let x = try file.required("ddim_eta_x"), eps = try file.required("ddim_eta_eps"), z = try file.required("ddim_eta_z")
        let keys = file.keys.filter { $0.hasPrefix("ddim_eta") && $0.contains("_step_t") }
        #expect(keys.count >= 4)
        for key in keys {
            let parts = key.dropFirst("ddim_eta".count).split(separator: "_")
            let eta = Double(parts[0])!, t = Int(parts[2].dropFirst())!
            let scheduler = DDIMScheduler(eta: eta)
            try scheduler.setTimesteps(50)
            let next = scheduler.step(modelOutput: eps, timestep: t, sample: x, varianceNoise: z)
            #expect(maxDifference(next, try file.required(key)) <= referenceTolerance, "\(key)")
        }
    }

    /// With use_clipped_model_output the direction term takes the noise the clipped x̂0 implies
    /// (diffusers' formula); where nothing is clipped the step is the reference's.
    @Test func clippedModelOutputRederivesTheNoiseOnlyWhenClipping() throws {
        let reference = DDIMScheduler(), clipped = DDIMScheduler()
        clipped.useClippedModelOutput = true
        for scheduler in [reference, clipped] { try scheduler.setTimesteps(50) }
        let t = 500, prev = 480
        let x = Tensor.linspace(-1.5, 1.5, count: 8).reshaped(2, 1, 2, 2)
        let inRange = x * 0.1
        #expect(maxDifference(clipped.step(modelOutput: inRange, timestep: t, sample: inRange * 0.5),
                              reference.step(modelOutput: inRange, timestep: t, sample: inRange * 0.5)) < 1e-6)

        let eps = Tensor.full([2, 1, 2, 2], -2.5)
        let alphaBar = Double(clipped.schedule.alphaBar(t)), alphaBarPrev = Double(clipped.schedule.alphaBar(prev))
        let original = ((x - eps * (1 - alphaBar).squareRoot()) / alphaBar.squareRoot()).clamped(min: -1, max: 1)
        let implied = (x - original * alphaBar.squareRoot()) / (1 - alphaBar).squareRoot()
        let expected = original * alphaBarPrev.squareRoot() + implied * (1 - alphaBarPrev).squareRoot()
        let step = clipped.step(modelOutput: eps, timestep: t, sample: x)
        #expect(maxDifference(step, expected) < 1e-5)
        #expect(maxDifference(step, reference.step(modelOutput: eps, timestep: t, sample: x)) > 0.1)
    }

    @Test func etaZeroDrawsNoNoise() throws {
        let generator = Generator(seed: 1)
        let before = generator.state.scalars(as: UInt8.self)
        let scheduler = DDIMScheduler()
        try scheduler.setTimesteps(50)
        _ = scheduler.step(modelOutput: Tensor.zeros([1, 1, 2, 2]), timestep: 500, sample: Tensor.ones([1, 1, 2, 2]), generator: generator)
        #expect(generator.state.scalars(as: UInt8.self) == before)
    }

    /// Without set_alpha_to_one the step after t = 0 lands on ᾱ_0 instead of a clean image.
    @Test func finalAlphaFollowsSetAlphaToOne() throws {
        var config = SchedulerConfig(kind: .ddim)
        config.setAlphaToOne = false
        let scheduler = try DDIMScheduler(config: config)
        try scheduler.setTimesteps(50)
        let x = Tensor.full([1, 1, 1, 1], 0.5), eps = Tensor.full([1, 1, 1, 1], 0.1)
        let withOne = DDIMScheduler()
        try withOne.setTimesteps(50)
        let clean = withOne.step(modelOutput: eps, timestep: 0, sample: x).float
        let notClean = scheduler.step(modelOutput: eps, timestep: 0, sample: x).float
        #expect(clean != notClean)
        // With ᾱ_prev = 1 the step returns x̂0 itself.
        let alphaBar = withOne.schedule.alphaBar(0)
        #expect(abs(clean - (0.5 - Float32Math.sqrt(1 - alphaBar) * 0.1) / Float32Math.sqrt(alphaBar)) < 1e-6)
    }
}
