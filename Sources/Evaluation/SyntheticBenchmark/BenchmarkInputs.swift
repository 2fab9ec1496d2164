import Datasets
import Foundation
import Training

/// The real training pairs and the synthetic folders, found and checked before any training:
/// the seg types must match, and no synthetic pair may come from a val or test mask (the segmenter
/// would then train on the anatomy it is tested on).
public struct BenchmarkInputs: Sendable {
    public let realTrain: [SampleFiles]
    public let realValCount: Int
    public let realTestCount: Int
    public let synthetic: SyntheticSet?
    public let lowData: SyntheticSet?

    static func open(_ options: SyntheticBenchmarkOptions) throws -> BenchmarkInputs {
        let s = options.segmenter
        let testFolder = (s.imageDirectory as NSString).appendingPathComponent(Split.test.rawValue)
        guard FileManager.default.fileExists(atPath: testFolder) else {
            throw UsageError("\(testFolder) not found: every arm is scored on the real test split; give --img_dir a data set with train/, val/ and test/")
        }
        let real = try DatasetLayout.discover(DatasetOptions(imageDirectory: s.imageDirectory, maskDirectory: s.maskDirectory,
                                                             splits: [.train, .val, .test], segmentationClasses: s.classes, imageSize: s.imageSize))
        let needsSynthetic = options.arms.contains { $0 != .realOnly && $0 != .low10Real && $0 != .low25Real }
        guard options.synthetic != nil || !needsSynthetic else {
            throw UsageError("--synthetic is missing: the arms \(options.arms.filter { $0 != .realOnly && $0 != .low10Real && $0 != .low25Real }.map(\.rawValue).joined(separator: ", ")) train on synthetic pairs; give the folder segmadiff synthesize wrote, or --arms real_only,low10_real,low25_real")
        }
        let synthetic = try options.synthetic.map { try SyntheticSet.open($0, flag: "--synthetic") }
        let lowData = try options.syntheticLowData.map { try SyntheticSet.open($0, flag: "--synthetic_low") } ?? synthetic
        let heldOut = Set((real.samples[.val] ?? []).map(\.name) + (real.samples[.test] ?? []).map(\.name))
        for (set, flag) in [(synthetic, "--synthetic"), (lowData, "--synthetic_low")] {
            guard let set else { continue }
            if set.segTypes != real.segTypes {
                throw UsageError("\(flag) \(set.root.path) has the seg types \(set.segTypes.joined(separator: ", ")), but --seg_dir has \(real.segTypes.joined(separator: ", ")); synthesize from the same data's masks")
            }
            if let split = set.maskSplit, split != Split.train.rawValue {
                throw UsageError("\(flag) \(set.root.path) was synthesized from the \(split) split's masks: a segmenter trained on them has seen the anatomy it is scored on; synthesize from --split train")
            }
            // A flat --masks folder records no split: then the names tell whether held-out masks were used.
            if set.maskSplit == nil, let leaked = set.pairs.compactMap(\.sourceMask).first(where: heldOut.contains) {
                throw UsageError("\(flag) \(set.root.path) holds pairs made from \(leaked), a val or test mask of --seg_dir: the segmenter would train on the anatomy it is scored on; synthesize from the train masks only")
            }
        }
        let lowDataArms = options.arms.filter(\.needsSourceMasks)
        if let lowData, !lowDataArms.isEmpty, !lowData.knowsSourceMasks {
            throw UsageError("\(lowData.root.path) has no manifest.json naming each pair's source mask, which \(lowDataArms.map(\.rawValue).joined(separator: " and ")) need to leave out pairs made from their real subset; synthesize it again, or choose --arms without them")
        }
        return BenchmarkInputs(realTrain: real.samples[.train] ?? [], realValCount: real.samples[.val]?.count ?? 0,
                               realTestCount: real.samples[.test]?.count ?? 0, synthetic: synthetic, lowData: lowData)
    }

    var summaryLines: [String] {
        var lines = ["real data: train \(realTrain.count), val \(realValCount) (chooses each run's epoch), test \(realTestCount) (every score)"]
        if let synthetic {
            lines.append("synthetic: \(synthetic.pairs.count) pairs in \(synthetic.root.path)"
                         + (synthetic.knowsSourceMasks ? "" : " (no source masks recorded: the low-data mixed arms cannot run)"))
        }
        if let lowData, lowData.root != synthetic?.root {
            lines.append("synthetic for the low-data arms: \(lowData.pairs.count) pairs in \(lowData.root.path)")
        }
        return lines
    }
}
