import Testing
import Torch
@testable import Diffusion

@Suite struct DDPMSchedulerTests {
    /// Every `ddpm1000_step_tT` of the fixture, with its recorded variance noise `ddpm1000_z_tT`.
    @Test func stepsMatchDiffusersBitForBit() throws {
        for file in try FixtureFiles.schedulers() {
            let x = try file.required("step_x"), eps = try file.required("step_eps")
            let scheduler = DDPMScheduler()
            try scheduler.setTimesteps(1000)
            let steps = file.numbers(between: "ddpm1000_step_t")
            #expect(steps.contains(0) && steps.count >= 4, "\(file.path)")
            for t in steps {
                let z = try file.required("ddpm1000_z_t\(t)")
                let next = scheduler.step(modelOutput: eps, timestep: t, sample: x, varianceNoise: z)
                #expect(maxDifference(next, try file.required("ddpm1000_step_t\(t)")) <= referenceTolerance, "\(file.path): t = \(t)")
            }
        }
    }

    /// The fixture drew z with torch.Generator().manual_seed(11 + t); a segmadiff Generator with
    /// that seed draws the same numbers, and the step draws them only when t > 0.
    @Test func generatorDrawsTheSameVarianceNoise() throws {
        for file in try FixtureFiles.schedulers() {
            let x = try file.required("step_x"), eps = try file.required("step_eps")
            let scheduler = DDPMScheduler()
            for t in file.numbers(between: "ddpm1000_step_t") {
                let generator = Generator(seed: UInt64(11 + t))
                let before = generator.state.scalars(as: UInt8.self)
                let next = scheduler.step(modelOutput: eps, timestep: t, sample: x, generator: generator)
                #expect(maxDifference(next, try file.required("ddpm1000_step_t\(t)")) <= referenceTolerance, "\(file.path): t = \(t)")
                let drew = generator.state.scalars(as: UInt8.self) != before
                #expect(drew == (t > 0), "\(file.path): t = \(t)")
            }
        }
    }

    /// docs/python-reference.md §5.5's examples.
    @Test func fixedSmallVariance() {
        let scheduler = DDPMScheduler()
        #expect(abs(scheduler.variance(at: 1) - 5.4532e-5) < 1e-8)
        #expect(abs(scheduler.variance(at: 999) - 0.019999984) < 5e-8)  // "≈" in the spec
        #expect(scheduler.variance(at: 0) == 1e-20)
    }

    @Test func clippingCanBeTurnedOff() throws {
        var config = SchedulerConfig(kind: .ddpm)
        config.clipSample = false
        let unclipped = try DDPMScheduler(config: config)
        let x = Tensor.full([1, 1, 1, 1], 3), eps = Tensor.zeros([1, 1, 1, 1])
        // At t = 0 the step returns x̂0 = x/sqrt(ᾱ_0), clipped to 1 unless turned off.
        #expect(DDPMScheduler().step(modelOutput: eps, timestep: 0, sample: x, varianceNoise: nil).float == 1)
        #expect(unclipped.step(modelOutput: eps, timestep: 0, sample: x, varianceNoise: nil).float > 3)
    }
}
