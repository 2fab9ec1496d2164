import Testing
import Torch
@testable import Diffusion

/// Classifier-free mask guidance and image-to-image translation in the sampling loop.
@Suite struct MaskGuidanceTests {
    /// A denoiser whose prediction depends non-linearly on each sample's image and mask, so a
    /// mix-up of the two halves of the 2B batch, or of samples, changes the result.
    static func nonlinear(_ input: Tensor, _ t: Tensor) -> Tensor {
        let x = input.narrowed(dim: 1, start: 0, length: 1)
        let mask = input.narrowed(dim: 1, start: 1, length: 1)
        let scale = t.to(.float32).reshaped(-1, 1, 1, 1) / 1000
        return (x * (mask + 0.3) * 3 + scale).tanh()
    }

    static let mask = Tensor.linspace(-1, 1, count: 2 * 16).reshaped(2, 1, 4, 4)
    static let blank = Tensor.full([1, 1, 4, 4], -1)

    @Test func scaleZeroIsPlainConditioningBitForBit() throws {
        let sampler = GuidedSampler(scheduler: DDPMScheduler(), denoiser: Self.nonlinear)
        let plain = try sampler.sample(conditioning: .fixed(Self.mask), imageChannels: 1, steps: 10, generator: Generator(seed: 4))
        let guided = try sampler.sample(conditioning: .fixed(Self.mask), imageChannels: 1, steps: 10,
                                        guidance: MaskGuidance(scale: 0, blank: Self.blank), generator: Generator(seed: 4))
        #expect(maxDifference(plain.images, guided.images) == 0)
    }

    /// One forward of 2B samples gives (1 + w)·ε(x, mask) − w·ε(x, blank) with both computed apart
    /// (the standard formula: the detail scale equal to w).
    @Test func theBatchedForwardEqualsTwoSeparateOnes() {
        let x = Tensor.randn([2, 1, 4, 4], generator: Generator(seed: 1))
        let t = Tensor.full([2], 500, TensorOptions(.int64))
        var calls: [[Int]] = []
        let recording: Denoiser = { input, t in calls.append(input.shape); return Self.nonlinear(input, t) }
        let guidance = MaskGuidance(scale: 3, blank: Self.blank, detailScale: 3)
        let batched = guidance.predict(recording, image: x, condition: Self.mask, timestep: t)

        let guided = Self.nonlinear(Tensor.cat([x, Self.mask], dim: 1), t)
        let unguided = Self.nonlinear(Tensor.cat([x, Self.blank.expanded(to: [2, 1, 4, 4])], dim: 1), t)
        #expect(calls == [[4, 2, 4, 4]])
        #expect(maxDifference(batched, guided * 4 - unguided * 3) < 1e-6)
        #expect(maxDifference(batched, MaskGuidance.combine(guided: guided, unguided: unguided, scale: 3, detailScale: 3)) == 0)
    }

    /// φ = 1 gives each sample the spread of its guided-only prediction; φ between mixes linearly.
    @Test func rescaleMatchesTheGuidedOnlySpread() {
        let guided = Tensor.randn([2, 1, 4, 4], generator: Generator(seed: 8))
        let unguided = Tensor.randn([2, 1, 4, 4], generator: Generator(seed: 9)) * 0.5
        let plain = MaskGuidance.combine(guided: guided, unguided: unguided, scale: 3, detailScale: 3)
        let full = MaskGuidance.combine(guided: guided, unguided: unguided, scale: 3, detailScale: 3, rescale: 1)
        let dims = [1, 2, 3]
        #expect(maxDifference(full.std(dims: dims), guided.std(dims: dims)) < 1e-5)
        #expect(maxDifference(full * plain.std(dims: dims, keepDim: true) / guided.std(dims: dims, keepDim: true), plain) < 1e-5)
        let half = MaskGuidance.combine(guided: guided, unguided: unguided, scale: 3, detailScale: 3, rescale: 0.5)
        #expect(maxDifference(half, (full + plain) * 0.5) < 1e-5)
        #expect(maxDifference(MaskGuidance.combine(guided: guided, unguided: unguided, scale: 3, detailScale: 3, rescale: 0), plain) == 0)
    }

    /// With d = 0 a smooth difference is guided in full and a one-pixel checkerboard not at all;
    /// d scales only the part the blur removes.
    @Test func theDetailScaleActsOnTheFinestOctaveOnly() {
        let guided = Tensor.randn([2, 1, 8, 8], generator: Generator(seed: 5))
        let smooth = Tensor.full([2, 1, 8, 8], 0.25)
        let row = Tensor.arange(0, 8).remainder(2).reshaped(1, 1, 1, 8)
        let checkerboard = (row + row.transposed(2, 3)).remainder(2).to(.float32) - 0.5
        let standard = MaskGuidance.combine(guided: guided, unguided: guided - smooth, scale: 3, detailScale: 3)
        #expect(maxDifference(MaskGuidance.combine(guided: guided, unguided: guided - smooth, scale: 3, detailScale: 0), standard) < 1e-6)
        // The standard formula moves it by 1.5 everywhere; only the blur's edge rows let a trace through.
        #expect(maxDifference(MaskGuidance.combine(guided: guided, unguided: guided - checkerboard, scale: 3, detailScale: 0), guided) < 0.05)

        let difference = Tensor.randn([2, 1, 8, 8], generator: Generator(seed: 6))
        let coarse = MaskGuidance.coarsePart(of: difference)
        let mixed = MaskGuidance.combine(guided: guided, unguided: guided - difference, scale: 3, detailScale: 0.5)
        #expect(maxDifference(mixed, guided + coarse * 3 + (difference - coarse) * 0.5) < 1e-6)
        // Too small to halve: all of it counts as coarse.
        let tiny = Tensor.randn([1, 1, 1, 5], generator: Generator(seed: 7))
        #expect(maxDifference(MaskGuidance.coarsePart(of: tiny), tiny) == 0)
    }

    @Test func guidanceIsSkippedWithoutACondition() throws {
        var calls = 0
        let sampler = GuidedSampler(scheduler: DDIMScheduler()) { input, t in calls += 1; return Tensor.zeros(like: input) }
        _ = try sampler.sample(conditioning: .none(batchSize: 1, height: 4, width: 4), imageChannels: 1, steps: 3,
                               guidance: MaskGuidance(scale: 2, blank: Self.blank), generator: Generator(seed: 0))
        #expect(calls == 3)
    }

    // MARK: translation

    static let image = Tensor.linspace(-0.8, 0.8, count: 2 * 16).reshaped(2, 1, 4, 4)
    static let noise = Tensor.randn([2, 1, 4, 4], generator: Generator(seed: 7))

    /// Records the timesteps it is called at and the first input it sees.
    final class Recorder {
        var timesteps: [Int] = []
        var firstInput: Tensor?
        func callAsFunction(_ input: Tensor, _ t: Tensor) -> Tensor {
            if firstInput == nil { firstInput = input }
            timesteps.append(Int(t.scalars(as: Int64.self)[0]))
            return MaskGuidanceTests.nonlinear(input, t)
        }
    }

    @Test func strengthZeroReturnsTheImages() throws {
        let recorder = Recorder()
        let sampler = GuidedSampler(scheduler: DDIMScheduler(), denoiser: recorder.callAsFunction)
        let result = try sampler.translate(Self.image, strength: 0, conditioning: .fixed(Self.mask), steps: 50, noise: Self.noise)
        #expect(maxDifference(result.images, Self.image) == 0 && result.steps == 0 && recorder.timesteps.isEmpty)
    }

    @Test func strengthOneIsPlainSampling() throws {
        for scheduler in [DDIMScheduler(), DDPMScheduler(), DPMSolverMultistepScheduler()] as [any Scheduler] {
            let sampler = GuidedSampler(scheduler: scheduler, denoiser: Self.nonlinear)
            let translated = try sampler.translate(Self.image, strength: 1, conditioning: .fixed(Self.mask), steps: 20,
                                                   noise: Self.noise, generator: Generator(seed: 2))
            let sampled = try sampler.sample(conditioning: .fixed(Self.mask), imageChannels: 1, steps: 20,
                                             generator: Generator(seed: 2), initialNoise: Self.noise)
            #expect(maxDifference(translated.images, sampled.images) == 0, "\(type(of: scheduler))")
        }
    }

    /// The first denoising step is the grid's timestep at or below t0 = S·1000, and the image is
    /// noised to exactly that timestep (the reference noises to t0 and starts a grid step later).
    @Test func theFirstStepIsTheGridTimestepAtOrBelowT0() throws {
        let cases: [(any Scheduler, Int, Double, Int)] = [
            (DDIMScheduler(), 50, 0.5, 500), (DDIMScheduler(), 50, 0.51, 500), (DDIMScheduler(), 50, 0.499, 480),
            (DDPMScheduler(), 1000, 0.5, 500), (DDPMScheduler(), 100, 0.25, 250),
        ]
        for (scheduler, steps, strength, first) in cases {
            let recorder = Recorder()
            let sampler = GuidedSampler(scheduler: scheduler, denoiser: recorder.callAsFunction)
            let result = try sampler.translate(Self.image, strength: strength, conditioning: .fixed(Self.mask), steps: steps,
                                               noise: Self.noise, generator: Generator(seed: 0))
            #expect(recorder.timesteps.first == first, "\(type(of: scheduler)) \(steps) steps, S = \(strength)")
            #expect(recorder.timesteps == scheduler.timesteps.filter { $0 <= first })
            #expect(result.steps == recorder.timesteps.count)
            let noised = scheduler.addNoise(to: Self.image, noise: Self.noise, timesteps: Tensor.full([2], Double(first), TensorOptions(.int64)))
            #expect(maxDifference(recorder.firstInput!.narrowed(dim: 1, start: 0, length: 1), noised) == 0)
        }
    }

    /// A small strength keeps the image close; more strength moves it further.
    @Test func strengthControlsHowFarTheImageMoves() throws {
        let sampler = GuidedSampler(scheduler: DDIMScheduler(), denoiser: Self.nonlinear)
        let distances = try [0.1, 0.5, 0.9].map { strength in
            let result = try sampler.translate(Self.image, strength: strength, conditioning: .fixed(Self.mask), steps: 50, noise: Self.noise)
            return (result.images - Self.image).abs().mean().float
        }
        #expect(distances[0] < distances[1] && distances[1] < distances[2], "\(distances)")
    }

    @Test func strengthOutsideZeroToOneIsAnError() {
        let sampler = GuidedSampler(scheduler: DDIMScheduler(), denoiser: Self.nonlinear)
        #expect(throws: SamplingError.self) {
            try sampler.translate(Self.image, strength: 1.5, conditioning: .fixed(Self.mask), steps: 10, noise: Self.noise)
        }
    }
}
