@testable import Evaluation
import Testing
import Torch

/// FID, KID and the intensity-histogram distances: zero for a set against itself, growing with a
/// shift, and the kernel estimate unbiased.
@Suite struct DistributionDistanceTests {
    /// Draws from one correlated Gaussian (the mixing is fixed), moved by `shift` in every dimension.
    func features(_ count: Int, _ dimension: Int, seed: UInt64, shift: Double = 0) -> Tensor {
        let mixing = Tensor.randn([dimension, dimension], generator: Generator(seed: 0), TensorOptions(.float64))
        let noise = Tensor.randn([count, dimension], generator: Generator(seed: seed), TensorOptions(.float64))
        return noise.matmul(mixing / Double(dimension).squareRoot()) + shift
    }

    @Test func eigendecompositionReconstructsTheMatrix() {
        let x = features(40, 12, seed: 1)
        let matrix = x.transposed(0, 1).matmul(x).contiguous().scalars(as: Double.self)
        let eigen = SymmetricEigen(matrix, size: 12)
        let rebuilt = eigen.applying { $0 }
        #expect(zip(matrix, rebuilt).allSatisfy { abs($0 - $1) < 1e-9 })
        // The square root squares back to the matrix.
        let root = eigen.applying { $0.squareRoot() }
        let squared = Tensor(root, shape: [12, 12]).matmul(Tensor(root, shape: [12, 12])).scalars(as: Double.self)
        #expect(zip(matrix, squared).allSatisfy { abs($0 - $1) < 1e-8 })
    }

    @Test func frechetDistanceOfTwoKnownGaussians() {
        // Diagonal covariances: d² = |Δμ|² + Σ (√a - √b)².
        let a = FeatureStatistics(Tensor([1.0, 0, -1, 0], shape: [2, 2]))          // mean 0, var (2, 0)
        let b = FeatureStatistics(Tensor([3.0, 2, 3, 4], shape: [2, 2]))           // mean (3, 3), var (0, 2)
        let expected = 9 + 9 + 2 + 2.0
        #expect(abs(FrechetDistance.between(a, b) - expected) < 1e-9)
    }

    @Test func frechetDistanceIsZeroForASetWithItselfAndGrowsWithAShift() {
        let x = features(60, 16, seed: 2)
        let same = FrechetDistance.between(FeatureStatistics(x), FeatureStatistics(x))
        #expect(same < 1e-6)
        // A shift by s in every dimension adds d·s² exactly (the covariance is unchanged).
        let distances = [0.5, 1, 2].map { FrechetDistance.between(FeatureStatistics(x), FeatureStatistics(x + $0)) }
        for (shift, distance) in zip([0.5, 1, 2], distances) {
            #expect(abs(distance - 16 * shift * shift) < 1e-6)
        }
        // Singular covariances (fewer vectors than dimensions) stay finite and non-negative.
        let few = features(5, 16, seed: 3)
        let singular = FrechetDistance.between(FeatureStatistics(few), FeatureStatistics(x))
        #expect(singular.isFinite && singular >= 0)
    }

    @Test func frechetDistanceIsWithheldUntilBothSetsOutnumberTheDimensions() {
        #expect(FrechetDistance.sampleShortfall(generated: 129, real: 200, dimension: 128) == nil)
        let few = FrechetDistance.sampleShortfall(generated: 26, real: 129, dimension: 128)
        #expect(few?.contains("128-d features; 26 generated and 129 real images") == true)
        #expect(FrechetDistance.sampleShortfall(generated: 500, real: 128, dimension: 128) != nil)
    }

    @Test func kernelDistanceMatchesTheFormulaOnATinyCase() {
        // 1-D: k(x, y) = (xy + 1)³. x = {0, 1}, y = {1, 2}.
        let x = Tensor([0.0, 1], shape: [2, 1]), y = Tensor([1.0, 2], shape: [2, 1])
        let k = { (a: Double, b: Double) in (a * b + 1) * (a * b + 1) * (a * b + 1) }
        let withinX = 2 * k(0, 1) / 2, withinY = 2 * k(1, 2) / 2
        let across = (k(0, 1) + k(0, 2) + k(1, 1) + k(1, 2)) / 4
        #expect(abs(KernelDistance.between(x, y) - (withinX + withinY - 2 * across)) < 1e-9)
    }

    /// Unbiased: over many pairs of independent draws from one distribution the estimates average to
    /// about 0 (single ones may be negative), well below the value for shifted sets.
    @Test func kernelDistanceIsUnbiasedAndGrowsWithAShift() {
        let draws = (0..<40).map { trial in
            KernelDistance.between(features(20, 8, seed: 100 + UInt64(trial)), features(20, 8, seed: 200 + UInt64(trial)))
        }
        let mean = draws.reduce(0, +) / Double(draws.count)
        let shifted = KernelDistance.between(features(20, 8, seed: 7), features(20, 8, seed: 8, shift: 1))
        #expect(draws.contains { $0 < 0 })
        #expect(abs(mean) < 0.05 * shifted)
        let more = KernelDistance.between(features(20, 8, seed: 7), features(20, 8, seed: 8, shift: 2))
        #expect(more > shifted && shifted > 0)
    }

    @Test func histogramDistancesAreZeroForIdenticalSetsAndOneForOpposites() {
        let images = Tensor.rand([4, 1, 8, 8], generator: Generator(seed: 4)) * 2 - 1
        var a = IntensityHistogram(), b = IntensityHistogram()
        a.add(images)
        b.add(images.clone())
        #expect(a.total == 256)
        #expect(IntensityHistogram.wasserstein(a, b) == 0)
        #expect(IntensityHistogram.jensenShannon(a, b) == 0)
        var black = IntensityHistogram(), white = IntensityHistogram()
        black.add(Tensor.full([1, 4, 4], -1))
        white.add(Tensor.full([1, 4, 4], 1))
        #expect(abs(IntensityHistogram.wasserstein(black, white) - 1) < 1e-12)
        #expect(abs(IntensityHistogram.jensenShannon(black, white) - 1) < 1e-12)
        // Brightening by 0.2 (a tenth of the range) moves W1 by about a tenth.
        var brighter = IntensityHistogram()
        brighter.add((images * 0.5) + 0.2)
        var dimmer = IntensityHistogram()
        dimmer.add(images * 0.5)
        #expect(abs(IntensityHistogram.wasserstein(dimmer, brighter) - 0.1) < 0.01)
    }
}

/// The mean ± spread the demo reports over seeds.
@Suite struct SeedSpreadTests {
    @Test func meanAndSampleStandardDeviationOverTheSeedsThatHaveAValue() {
        let spread = SeedSpread([0.80, nil, 0.84, 0.88])
        #expect(spread.count == 3)
        #expect(abs(spread.mean! - 0.84) < 1e-12)
        // Sample deviation: sqrt((0.04² + 0 + 0.04²) / 2) = 0.04.
        #expect(abs(spread.standardDeviation! - 0.04) < 1e-12)
        #expect(spread.formatted() == "0.840 ± 0.040 (3 seeds)")
        #expect(SeedSpread([0.5]).standardDeviation == nil && SeedSpread([0.5]).formatted() == "0.500 (1 seed)")
        #expect(SeedSpread([nil, nil]).formatted() == "n/a")
    }
}
