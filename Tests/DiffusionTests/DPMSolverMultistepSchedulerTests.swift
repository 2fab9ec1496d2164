import Testing
import Torch
@testable import Diffusion

@Suite struct DPMSolverMultistepSchedulerTests {
    @Test func halfLogSNRTableMatchesDiffusers() throws {
        let expected = try FixtureFiles.dpmpp().required("lambda_t").scalars(as: Float.self)
        let scheduler = DPMSolverMultistepScheduler()
        let ours = Tensor((0..<1000).map(scheduler.halfLogSNR)), theirs = Tensor(expected)
        #expect(scaledDifference(ours, theirs) <= referenceTolerance)
    }

    /// Whole multistep runs on recorded model outputs, every intermediate sample compared: short
    /// runs (first-order final step) and a 20-step one (second order to the end).
    @Test func multistepRunsMatchDiffusers() throws {
        let file = try FixtureFiles.dpmpp()
        let counts = file.numbers(between: "run_", and: "_x")
        #expect(counts.contains(10) && counts.contains(20))
        for n in counts {
            let scheduler = DPMSolverMultistepScheduler()
            try scheduler.setTimesteps(n)
            let eps = try file.required("run_\(n)_eps"), expected = try file.required("run_\(n)_samples")
            #expect(eps.shape[0] == scheduler.timesteps.count)
            var x = try file.required("run_\(n)_x")
            for (i, t) in scheduler.timesteps.enumerated() {
                x = scheduler.step(modelOutput: eps.selected(dim: 0, index: i), timestep: t, sample: x)
                // DPM-Solver's samples grow to a few hundred on these random model outputs.
                let difference = scaledDifference(x, expected.selected(dim: 0, index: i))
                #expect(difference <= referenceTolerance, "n = \(n), step \(i) (t = \(t)): \(difference)")
            }
        }
    }

    /// setTimesteps starts a fresh run: the history of an earlier run must not leak into it.
    @Test func setTimestepsForgetsTheHistory() throws {
        let scheduler = DPMSolverMultistepScheduler()
        let x = Tensor.randn([1, 1, 2, 2], generator: Generator(seed: 5))
        let eps = Tensor.randn([1, 1, 2, 2], generator: Generator(seed: 6))
        try scheduler.setTimesteps(10)
        let first = scheduler.step(modelOutput: eps, timestep: scheduler.timesteps[0], sample: x)
        _ = scheduler.step(modelOutput: eps * 2, timestep: scheduler.timesteps[1], sample: first)
        try scheduler.setTimesteps(10)
        let again = scheduler.step(modelOutput: eps, timestep: scheduler.timesteps[0], sample: x)
        #expect(maxDifference(first, again) == 0)
    }
}
