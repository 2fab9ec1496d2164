import Testing
import Torch
@testable import Diffusion

/// The sampling loop with toy denoisers that record what they are given.
@Suite struct GuidedSamplerTests {
    /// Records each call's input and timestep; predicts zero noise.
    final class RecordingDenoiser {
        var inputs: [Tensor] = []
        var timesteps: [[Int64]] = []
        let imageChannels: Int

        init(imageChannels: Int) { self.imageChannels = imageChannels }

        func callAsFunction(_ input: Tensor, _ t: Tensor) -> Tensor {
            inputs.append(input)
            timesteps.append(t.scalars(as: Int64.self))
            return Tensor.zeros(like: input.narrowed(dim: 1, start: 0, length: imageChannels))
        }
    }

    @Test func conditionIsConcatenatedLastAndReturned() throws {
        let mask = Tensor.full([2, 1, 4, 4], 3.0 / 255)
        let denoiser = RecordingDenoiser(imageChannels: 3)
        let sampler = GuidedSampler(scheduler: DDIMScheduler(), denoiser: denoiser.callAsFunction)
        let result = try sampler.sample(conditioning: .fixed(mask), imageChannels: 3, steps: 10, generator: Generator(seed: 0))

        #expect(result.steps == 10 && denoiser.inputs.count == 10)
        #expect(denoiser.timesteps.map { Int($0[0]) } == [900, 800, 700, 600, 500, 400, 300, 200, 100, 0])
        #expect(denoiser.timesteps.allSatisfy { $0.count == 2 && $0[0] == $0[1] })
        for input in denoiser.inputs {
            #expect(input.shape == [2, 4, 4, 4])
            #expect(maxDifference(input.narrowed(dim: 1, start: 3, length: 1), mask) == 0)
        }
        #expect(result.images.shape == [2, 3, 4, 4])
        #expect(maxDifference(result.condition!, mask) == 0)
        #expect(result.images.abs().max().float <= 1)
    }

    /// The step hook sees every step in order with its x̂0, and an error it throws ends the run there.
    @Test func theStepHookReportsEachStepAndCanStopTheRun() throws {
        struct Stop: Error {}
        let denoiser = RecordingDenoiser(imageChannels: 1)
        var sampler = GuidedSampler(scheduler: DDIMScheduler(), denoiser: denoiser.callAsFunction)
        var seen: [(Int, Int, Int)] = []
        sampler.onStep = { step in
            seen.append((step.index, step.total, step.timestep))
            #expect(step.predictedImage.shape == [1, 1, 4, 4] && step.predictedImage.abs().max().float <= 1)
        }
        let conditioning = Conditioning.none(batchSize: 1, height: 4, width: 4)
        _ = try sampler.sample(conditioning: conditioning, imageChannels: 1, steps: 4, generator: Generator(seed: 1))
        #expect(seen.map(\.0) == [1, 2, 3, 4] && seen.allSatisfy { $0.1 == 4 } && seen.map(\.2) == [750, 500, 250, 0])

        sampler.onStep = { step in if step.index == 2 { throw Stop() } }
        #expect(throws: Stop.self) { try sampler.sample(conditioning: conditioning, imageChannels: 1, steps: 4, generator: Generator(seed: 1)) }
        #expect(denoiser.inputs.count == 6)
    }

    /// The first input is the initial noise, drawn from the generator, or the noise passed in.
    @Test func initialNoiseComesFromTheGeneratorOrTheCaller() throws {
        let denoiser = RecordingDenoiser(imageChannels: 1)
        let sampler = GuidedSampler(scheduler: DDIMScheduler(), denoiser: denoiser.callAsFunction)
        let conditioning = Conditioning.none(batchSize: 2, height: 4, width: 4)
        let seeded = try sampler.sample(conditioning: conditioning, imageChannels: 1, steps: 3, generator: Generator(seed: 9))
        let expectedNoise = Tensor.randn([2, 1, 4, 4], generator: Generator(seed: 9))
        #expect(maxDifference(denoiser.inputs[0], expectedNoise) == 0)
        #expect(seeded.condition == nil && denoiser.inputs[0].shape == [2, 1, 4, 4])

        let again = try sampler.sample(conditioning: conditioning, imageChannels: 1, steps: 3, initialNoise: expectedNoise)
        #expect(maxDifference(again.images, seeded.images) == 0)
    }

    /// The reference's redraw: the closure runs once per step, and each step sees its own draw.
    @Test func redrawnConditionIsDrawnOncePerStep() throws {
        var draws = 0
        let redraw = Conditioning.redrawnEveryStep(batchSize: 1, height: 2, width: 2) {
            draws += 1
            return Tensor.full([1, 2, 2, 2], Double(draws))
        }
        let denoiser = RecordingDenoiser(imageChannels: 1)
        let scheduler = DDPMScheduler()
        let sampler = GuidedSampler(scheduler: scheduler, denoiser: denoiser.callAsFunction)
        let result = try sampler.sample(conditioning: redraw, imageChannels: 1, steps: 20, generator: Generator(seed: 1))
        #expect(draws == 20 && denoiser.inputs.count == 20)
        for (i, input) in denoiser.inputs.enumerated() {
            #expect(input.narrowed(dim: 1, start: 1, length: 2).min().float == Float(i + 1))
        }
        #expect(result.condition!.max().float == 20)
    }

    /// A denoiser that predicts the true noise of a known clean image: DDIM lands on the image itself
    /// (ᾱ = 1 after the last step); DPM-Solver++ stops at timestep 0, i.e. at sqrt(ᾱ_0)·x0 + sqrt(1 − ᾱ_0)·ε.
    @Test func anOracleDenoiserRecoversTheCleanImage() throws {
        let clean = Tensor.linspace(-0.9, 0.9, count: 16).reshaped(1, 1, 4, 4)
        let schedule = NoiseSchedule()
        let oracle: Denoiser = { input, t in
            let alphaBar = schedule.alphasCumprod.indexSelect(dim: 0, index: t).reshaped(-1, 1, 1, 1)
            let x = input.narrowed(dim: 1, start: 0, length: 1)
            return (x - alphaBar.sqrt() * clean) / (1 - alphaBar).sqrt()
        }
        let noise = Tensor.randn([1, 1, 4, 4], generator: Generator(seed: 3))
        let epsilon = oracle(noise, Tensor([999] as [Int64]))
        let atTimestepZero = schedule.addNoise(to: clean, noise: epsilon, timesteps: Tensor([0] as [Int64]))
        let cases: [(any Scheduler, Tensor)] = [(DDIMScheduler(), clean), (DPMSolverMultistepScheduler(), atTimestepZero)]
        for (scheduler, expected) in cases {
            let sampler = GuidedSampler(scheduler: scheduler, denoiser: oracle)
            let mask = Tensor.zeros([1, 1, 4, 4])
            let result = try sampler.sample(conditioning: .fixed(mask), imageChannels: 1, steps: 25, initialNoise: noise)
            #expect(maxDifference(result.images, expected) < 1e-4, "\(type(of: scheduler))")
        }
    }

    @Test func mismatchedShapesAreErrors() {
        let denoiser = RecordingDenoiser(imageChannels: 1)
        let sampler = GuidedSampler(scheduler: DDIMScheduler(), denoiser: denoiser.callAsFunction)
        #expect(throws: SamplingError.self) {
            try sampler.sample(conditioning: .fixed(Tensor.zeros([2, 1, 4, 4])), imageChannels: 1, steps: 2,
                               initialNoise: Tensor.zeros([1, 1, 4, 4]))
        }
        let wrongDraw = Conditioning.redrawnEveryStep(batchSize: 2, height: 4, width: 4) { Tensor.zeros([2, 1, 8, 8]) }
        #expect(throws: SamplingError.self) { try sampler.sample(conditioning: wrongDraw, imageChannels: 1, steps: 2) }
        let wrongChannels = GuidedSampler(scheduler: DDIMScheduler()) { input, _ in input }
        #expect(throws: SamplingError.self) {
            try wrongChannels.sample(conditioning: .fixed(Tensor.zeros([1, 1, 4, 4])), imageChannels: 1, steps: 2)
        }
    }

    @Test func samplingRecordsNoGradients() throws {
        let weight = Tensor.ones([1])
        weight.requiresGrad = true
        var sawGrad = true
        let sampler = GuidedSampler(scheduler: DDIMScheduler()) { input, _ in
            let out = input * weight
            sawGrad = out.requiresGrad
            return out
        }
        _ = try sampler.sample(conditioning: .none(batchSize: 1, height: 2, width: 2), imageChannels: 1, steps: 2)
        #expect(!sawGrad)
    }
}
