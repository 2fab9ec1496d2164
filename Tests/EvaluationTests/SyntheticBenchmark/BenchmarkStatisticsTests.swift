import Evaluation
import Foundation
import Testing

/// The interval and the verdict rules on numbers worked out by hand, and the control's derangement.
@Suite struct BenchmarkStatisticsTests {
    /// Values 1, 2, 3: mean 2, s = 1, half-width t(0.975, 2) · 1/√3 = 4.303 / 1.732 = 2.484.
    @Test func tIntervalByHand() {
        let interval = TInterval([1, 2, 3])
        #expect(interval.mean == 2)
        #expect(abs(interval.halfWidth! - 4.303 / 3.0.squareRoot()) < 1e-9)
        #expect(TInterval([0.5]).halfWidth == nil)
        #expect(TInterval([0.5, nil]).count == 1)
        // Beyond the table the expansion continues it smoothly towards 1.96.
        #expect(abs(TInterval.tQuantile975(degreesOfFreedom: 40) - 2.021) < 0.002)
        #expect(abs(TInterval.tQuantile975(degreesOfFreedom: 120) - 1.980) < 0.002)
    }

    /// Differences +0.05, +0.06, +0.04 over three seeds: mean 0.05, s = 0.01, half-width 0.0248 > 0.
    @Test func aConsistentGainHelps() {
        let verdict = BenchmarkVerdict(arm: [0: 0.85, 1: 0.86, 2: 0.84], baseline: [0: 0.80, 1: 0.80, 2: 0.80])
        #expect(verdict.effect == .helps)
        #expect(verdict.sentence == "helps by 0.050 ± 0.025")
    }

    @Test func aConsistentLossHurts() {
        let verdict = BenchmarkVerdict(arm: [0: 0.75, 1: 0.74, 2: 0.76], baseline: [0: 0.80, 1: 0.80, 2: 0.80])
        #expect(verdict.effect == .hurts)
        #expect(verdict.sentence == "hurts by 0.050 ± 0.025")
    }

    /// Differences +0.05, -0.03, +0.01: mean 0.01, s = 0.04, half-width 0.099: the interval holds 0.
    @Test func anIntervalAcrossZeroIsNoMeasurableEffect() {
        let verdict = BenchmarkVerdict(arm: [0: 0.85, 1: 0.77, 2: 0.81], baseline: [0: 0.80, 1: 0.80, 2: 0.80])
        #expect(verdict.effect == .noMeasurableEffect)
        #expect(verdict.sentence == "no measurable effect (+0.010 ± 0.099)")
    }

    /// Pairing is by seed: a gain that is small against the seeds' spread but the same in every
    /// seed is measured; unpaired, the spread would hide it.
    @Test func pairingBySeedRemovesSharedSpread() {
        let verdict = BenchmarkVerdict(arm: [0: 0.62, 1: 0.91, 2: 0.71, 3: 0.5],
                                       baseline: [0: 0.60, 1: 0.89, 2: 0.69, 9: 0.1])
        #expect(verdict.difference.count == 3)      // seeds 3 and 9 have no partner
        #expect(verdict.effect == .helps)
        let one = BenchmarkVerdict(arm: [0: 0.9], baseline: [0: 0.8])
        #expect(one.effect == .undetermined && one.sentence.contains("one seed"))
    }

    @Test func derangementMovesEveryPairAndIsReproducible() {
        for count in [2, 3, 7, 40] {
            for seed: UInt64 in 0..<20 {
                let donors = SeededDraws.derangement(count: count, seed: seed)
                #expect(donors.sorted() == Array(0..<count), "a permutation: every mask used once")
                #expect(donors.indices.allSatisfy { donors[$0] != $0 }, "no pair keeps its own mask")
                #expect(SeededDraws.derangement(count: count, seed: seed) == donors)
            }
        }
        #expect(SeededDraws.derangement(count: 40, seed: 1) != SeededDraws.derangement(count: 40, seed: 2))
    }

    /// Two pairs per source mask (groups 0, 0, 1, 1, ...): no image gets its own mask or its twin's.
    @Test func derangementAvoidsPairsOfTheSameSourceMask() {
        for count in [4, 6, 40] {
            let groups = (0..<count).map { $0 / 2 }
            for seed: UInt64 in 0..<20 {
                let donors = SeededDraws.derangement(count: count, seed: seed, groups: groups)
                #expect(donors.sorted() == Array(0..<count))
                #expect(donors.indices.allSatisfy { groups[donors[$0]] != groups[$0] }, "count \(count) seed \(seed): \(donors)")
                #expect(SeededDraws.derangement(count: count, seed: seed, groups: groups) == donors)
            }
        }
    }

    @Test func armListsParseInCanonicalOrder() throws {
        #expect(try BenchmarkArm.parseList("all") == BenchmarkArm.allCases)
        #expect(try BenchmarkArm.parseList("synthetic_only, real_only") == [.realOnly, .syntheticOnly])
        #expect(throws: (any Error).self) { try BenchmarkArm.parseList("real,bogus") }
    }
}
