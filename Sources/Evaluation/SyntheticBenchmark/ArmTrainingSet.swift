import Datasets
import Foundation
import Training

/// The training pairs of one arm under one seed, with the counts the report states.
public struct ArmTrainingSet: Sendable {
    public var samples: [SampleFiles]
    public var realCount: Int
    public var syntheticCount: Int
    /// Synthetic pairs the arm could draw from (for the low-data arms: those whose source mask is
    /// outside the real subset).
    public var syntheticAvailable: Int
    /// Names of the real training pairs used (the low-data subset, or all of them).
    public var realNames: [String]
    /// Something the reader should know (fewer synthetic pairs than the ratio asks for).
    public var note: String?

    /// Assembles `arm`'s pairs. `real` is the real train split in file order; `synthetic` the pairs
    /// for the full-data arms and `lowData` those for the low-data arms (often the same folder).
    public static func make(_ arm: BenchmarkArm, seed: UInt64, real: [SampleFiles], synthetic: SyntheticSet?,
                            lowData: SyntheticSet?) throws -> ArmTrainingSet {
        let all = ArmTrainingSet(samples: real, realCount: real.count, syntheticCount: 0, syntheticAvailable: 0,
                                 realNames: real.map(\.name), note: nil)
        switch arm {
        case .realOnly:
            return all
        case .mixedHalf, .mixedOne, .mixedTwo:
            let pairs = try required(synthetic, arm).pairs
            let wanted = Int((arm.syntheticRatio! * Double(real.count)).rounded())
            let order = SeededDraws.syntheticOrder(count: pairs.count, seed: seed)
            let chosen = order.prefix(wanted).map { pairs[$0].files }
            var set = all
            set.samples += chosen
            set.syntheticCount = chosen.count
            set.syntheticAvailable = pairs.count
            if chosen.count < wanted {
                set.note = "asked for \(wanted) synthetic pairs (\(arm.syntheticRatio!)x \(real.count) real), only \(pairs.count) available"
            }
            return set
        case .syntheticOnly, .shuffledControl:
            let pairs = try required(synthetic, arm).pairs
            var files = pairs.map(\.files)
            if arm == .shuffledControl {
                guard files.count >= 2 else {
                    throw UsageError("the shuffled control needs at least 2 synthetic pairs to swap masks between; --synthetic has \(files.count)")
                }
                // Pairs of one source mask count as one group, so no image gets a twin's mask.
                let sources = pairs.map { $0.sourceMask ?? $0.files.name }
                let groupOf = Dictionary(sources.enumerated().map { ($1, $0) }) { first, _ in first }
                let donor = SeededDraws.derangement(count: files.count, seed: seed, groups: sources.map { groupOf[$0]! })
                files = files.indices.map { i in
                    SampleFiles(name: files[i].name, image: files[i].image, masks: files[donor[i]].masks)
                }
            }
            return ArmTrainingSet(samples: files, realCount: 0, syntheticCount: files.count, syntheticAvailable: files.count,
                                  realNames: [], note: nil)
        case .low10Real, .low25Real, .low10Mixed, .low25Mixed:
            let keep = max(1, Int((arm.realFraction! * Double(real.count)).rounded()))
            let subset = SeededDraws.realOrder(count: real.count, seed: seed).prefix(keep).sorted().map { real[$0] }
            var set = ArmTrainingSet(samples: subset, realCount: subset.count, syntheticCount: 0, syntheticAvailable: 0,
                                     realNames: subset.map(\.name), note: nil)
            guard arm.needsSourceMasks else { return set }
            let source = try required(lowData, arm)
            guard source.knowsSourceMasks else {
                throw UsageError("\(source.root.path) has no manifest.json naming each pair's source mask, which \(arm.rawValue) needs to leave out pairs made from its real subset; synthesize it again, or choose --arms without low10_mixed and low25_mixed")
            }
            // Only pairs made from masks the subset does not hold: the point of the arm is what the
            // masks of unlabelled-image slices add, not a second copy of the subset's anatomy.
            let inSubset = Set(set.realNames)
            let usable = source.pairs.filter { !inSubset.contains($0.sourceMask!) }
            set.samples += usable.map(\.files)
            set.syntheticCount = usable.count
            set.syntheticAvailable = usable.count
            set.note = "\(usable.count) of \(source.pairs.count) synthetic pairs were made from masks outside the \(subset.count)-slice real subset"
            return set
        }
    }

    private static func required(_ set: SyntheticSet?, _ arm: BenchmarkArm) throws -> SyntheticSet {
        guard let set, !set.pairs.isEmpty else {
            throw UsageError("\(arm.rawValue) needs synthetic pairs; --synthetic holds none")
        }
        return set
    }
}
