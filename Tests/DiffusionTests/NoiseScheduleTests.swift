import Testing
import Torch
@testable import Diffusion

@Suite struct NoiseScheduleTests {
    let schedule = NoiseSchedule()

    @Test func alphasCumprodEqualsDiffusersBitForBit() throws {
        for file in try FixtureFiles.schedulers() {
            let expected = try file.required("alphas_cumprod")
            #expect(expected.shape == [1000], "\(file.path)")
            #expect(schedule.alphasCumprod.scalars(as: Float.self) == expected.scalars(as: Float.self), "\(file.path)")
            #expect(schedule.alphaBars == expected.scalars(as: Float.self), "\(file.path)")
        }
    }

    /// docs/python-reference.md §5.1's table and Appendix A.2.
    @Test func specTableValues() {
        let betas = schedule.betas.scalars(as: Float.self)
        #expect(betas[0] == 1e-4 && betas[999] == 0.02)
        #expect(abs(betas[1] - 1.1991992e-4) < 1e-11)
        let table: [(Int, Float)] = [(0, 0.9999), (1, 0.99978006), (99, 0.8970177), (499, 0.07858724),
                                      (500, 0.07779666), (980, 5.9037546e-5), (999, 4.0358325e-5)]
        for (t, value) in table {
            // The spec rounds (its t = 999 value is 5e-7 off the float32 one); the fixture test is exact.
            #expect(abs(schedule.alphaBar(t) - value) <= value * 1e-6, "alpha bar at t = \(t)")
        }
    }

    /// Appendix A.2: add_noise at t = 500 gives x_t = 0.2789205·x0 + 0.9603142·ε.
    @Test func addNoiseCoefficientsAtT500() {
        let one = Tensor.ones([1, 1, 1, 1])
        let zero = Tensor.zeros([1, 1, 1, 1])
        let t = Tensor([500] as [Int64])
        #expect(abs(schedule.addNoise(to: one, noise: zero, timesteps: t).float - 0.2789205) < 1e-7)
        #expect(abs(schedule.addNoise(to: zero, noise: one, timesteps: t).float - 0.9603142) < 1e-7)
    }

    /// Every `add_noise_*` group of the fixture: x0, eps, per-sample t, expected.
    @Test func addNoiseMatchesDiffusers() throws {
        for file in try FixtureFiles.schedulers() {
            let groups = file.keys.filter { $0.hasPrefix("add_noise") && $0.hasSuffix("expected") }
            #expect(!groups.isEmpty, "\(file.path)")
            for key in groups {
                let prefix = String(key.dropLast("expected".count))
                let noisy = schedule.addNoise(to: try file.required(prefix + "x0"), noise: try file.required(prefix + "eps"),
                                              timesteps: try file.required(prefix + "t"))
                #expect(maxDifference(noisy, try file.required(key)) <= referenceTolerance, "\(file.path): \(key)")
            }
        }
    }

    @Test func addNoiseKeepsTheSampleDtype() {
        let x = Tensor.ones([2, 1, 2, 2]).to(.bfloat16)
        let noisy = schedule.addNoise(to: x, noise: x, timesteps: Tensor([0, 999] as [Int64]))
        #expect(noisy.dtype == .bfloat16 && noisy.shape == [2, 1, 2, 2])
    }
}
