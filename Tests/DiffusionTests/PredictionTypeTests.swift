import Testing
import Torch
@testable import Diffusion

/// `--prediction_type v_prediction`: the training target and its conversion back to a noise
/// prediction, through the sampling loop.
@Suite struct PredictionTypeTests {
    let schedule = NoiseSchedule()
    let clean = Tensor.linspace(-0.9, 0.9, count: 32).reshaped(2, 1, 4, 4)
    let noise = Tensor.randn([2, 1, 4, 4], generator: Generator(seed: 5))

    @Test func epsilonIsTheNoiseItself() {
        let t = Tensor([10, 700] as [Int64])
        #expect(maxDifference(PredictionType.epsilon.target(x0: clean, noise: noise, timesteps: t, schedule: schedule), noise) == 0)
    }

    /// v = sqrt(ᾱ)·ε − sqrt(1 − ᾱ)·x0, and the exact v turns back into the exact ε at every t.
    @Test func theVelocityTargetConvertsBackToTheNoise() {
        for timestep in [0, 250, 999] {
            let t = Tensor.full([2], Double(timestep), TensorOptions(.int64))
            let v = PredictionType.vPrediction.target(x0: clean, noise: noise, timesteps: t, schedule: schedule)
            let alphaBar = Double(schedule.alphaBar(timestep))
            #expect(maxDifference(v, noise * alphaBar.squareRoot() - clean * (1 - alphaBar).squareRoot()) < 1e-6)
            let xt = schedule.addNoise(to: clean, noise: noise, timesteps: t)
            let back = PredictionType.vPrediction.noise(from: v, sample: xt, timestep: timestep, schedule: schedule)
            #expect(maxDifference(back, noise) < 1e-5, "t = \(timestep)")
        }
    }

    /// A network that predicts the exact velocity of a known image leads DDIM to that image.
    @Test func aVelocityOracleSamplesTheCleanImage() throws {
        let one = clean.narrowed(dim: 0, start: 0, length: 1)
        let oracle: Denoiser = { input, t in
            let x = input.narrowed(dim: 1, start: 0, length: 1)
            let step = Int(t.scalars(as: Int64.self)[0])
            let alphaBar = Double(self.schedule.alphaBar(step))
            let epsilon = (x - one * alphaBar.squareRoot()) / (1 - alphaBar).squareRoot()
            return epsilon * alphaBar.squareRoot() - one * (1 - alphaBar).squareRoot()
        }
        let sampler = GuidedSampler(scheduler: DDIMScheduler(), prediction: .vPrediction, denoiser: oracle)
        let result = try sampler.sample(conditioning: .fixed(Tensor.zeros([1, 1, 4, 4])), imageChannels: 1, steps: 25,
                                        initialNoise: noise.narrowed(dim: 0, start: 0, length: 1))
        #expect(maxDifference(result.images, one) < 1e-4)
    }
}
