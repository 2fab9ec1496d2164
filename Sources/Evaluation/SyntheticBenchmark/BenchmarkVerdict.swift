import Foundation

/// Whether an arm changed test Dice against a baseline arm, judged on the paired differences
/// (arm − baseline, seed by seed: the same seed draws the same initial weights, so pairing
/// removes the part of the seed-to-seed spread that comes from them).
public struct BenchmarkVerdict: Equatable, Sendable {
    public enum Effect: String, Sendable {
        case helps, hurts
        case noMeasurableEffect = "no_measurable_effect"
        case undetermined
    }

    public let difference: TInterval
    public let effect: Effect

    /// `arm` and `baseline` map seed -> mean test Dice; seeds missing from either are left out.
    public init(arm: [UInt64: Double], baseline: [UInt64: Double]) {
        let seeds = arm.keys.filter { baseline[$0] != nil }.sorted()
        difference = TInterval(seeds.map { arm[$0]! - baseline[$0]! })
        if let low = difference.low, let high = difference.high {
            effect = low > 0 ? .helps : high < 0 ? .hurts : .noMeasurableEffect
        } else {
            effect = .undetermined
        }
    }

    /// "helps by 0.042 ± 0.013", "hurts by 0.020 ± 0.011", "no measurable effect (+0.004 ± 0.010)",
    /// or why no verdict can be given.
    public var sentence: String {
        let mean = difference.mean ?? 0, half = difference.halfWidth ?? 0
        switch effect {
        case .helps: return String(format: "helps by %.3f ± %.3f", mean, half)
        case .hurts: return String(format: "hurts by %.3f ± %.3f", -mean, half)
        case .noMeasurableEffect: return String(format: "no measurable effect (%+.3f ± %.3f)", mean, half)
        case .undetermined:
            return difference.count == 0 ? "no seeds in common: no verdict"
                : String(format: "one seed in common (%+.3f): no interval, no verdict; run --seeds 3 or more", mean)
        }
    }

    public var json: [String: Any] {
        ["effect": effect.rawValue, "sentence": sentence, "paired_difference": difference.json]
    }
}
