import Foundation
import Training

/// One way of assembling the segmenter's training set. Every arm is tested on the real test split,
/// with its epoch chosen on the real val split, so their Dice scores compare directly.
public enum BenchmarkArm: String, CaseIterable, Codable, Sendable {
    case realOnly = "real_only"
    case mixedHalf = "mixed_0.5x"
    case mixedOne = "mixed_1x"
    case mixedTwo = "mixed_2x"
    case syntheticOnly = "synthetic_only"
    case low10Real = "low10_real"
    case low10Mixed = "low10_mixed"
    case low25Real = "low25_real"
    case low25Mixed = "low25_mixed"
    case shuffledControl = "shuffled_control"

    /// What the arm trains on, in words for tables and logs.
    public var description: String {
        switch self {
        case .realOnly: "real train split only"
        case .mixedHalf: "real + synthetic pairs, 0.5x the real count"
        case .mixedOne: "real + synthetic pairs, 1x the real count"
        case .mixedTwo: "real + synthetic pairs, 2x the real count"
        case .syntheticOnly: "synthetic pairs only (train on synthetic, test on real)"
        case .low10Real: "10% of the real training slices"
        case .low10Mixed: "10% real + synthetic pairs made from the other 90%'s masks"
        case .low25Real: "25% of the real training slices"
        case .low25Mixed: "25% real + synthetic pairs made from the other 75%'s masks"
        case .shuffledControl: "control: synthetic images with another pair's mask"
        }
    }

    /// Synthetic pairs per real training pair, for the mixed arms.
    var syntheticRatio: Double? {
        switch self {
        case .mixedHalf: 0.5
        case .mixedOne: 1
        case .mixedTwo: 2
        default: nil
        }
    }

    /// The fraction of the real training pairs the low-data arms keep.
    var realFraction: Double? {
        switch self {
        case .low10Real, .low10Mixed: 0.10
        case .low25Real, .low25Mixed: 0.25
        default: nil
        }
    }

    /// The arm a verdict compares with: the one that differs from it only in the synthetic pairs.
    /// Every arm is also compared with `realOnly`.
    public var baseline: BenchmarkArm? {
        switch self {
        case .realOnly: nil
        case .low10Mixed: .low10Real
        case .low25Mixed: .low25Real
        case .shuffledControl: .syntheticOnly
        default: .realOnly
        }
    }

    /// Needs synthetic pairs' source masks (manifest.json) to keep them apart from the real subset.
    var needsSourceMasks: Bool { self == .low10Mixed || self == .low25Mixed }

    /// Parses `--arms a,b,c` (or `all`); an unknown name is an error that lists the known ones.
    public static func parseList(_ text: String) throws -> [BenchmarkArm] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        if names == ["all"] { return allCases }
        var arms: [BenchmarkArm] = []
        for name in names {
            guard let arm = BenchmarkArm(rawValue: name) else {
                throw UsageError("--arms: unknown arm '\(name)'; choose from all, \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !arms.contains(arm) { arms.append(arm) }
        }
        guard !arms.isEmpty else { throw UsageError("--arms is empty; give arms separated by commas, or all") }
        // Always in the canonical order, so tables and plots read the same whatever order was typed.
        return allCases.filter(arms.contains)
    }
}
