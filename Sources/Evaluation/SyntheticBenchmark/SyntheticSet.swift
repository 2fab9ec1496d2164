import Datasets
import Foundation
import Training

/// A folder of synthetic image + mask pairs as `segmadiff synthesize` writes it:
///
///     SYN/images/<split>/NAME.png
///     SYN/masks/<seg type>/<split>/NAME.png
///     SYN/manifest.json          (optional: each pair's source mask)
///
/// Every split found is used (synthesize's val/ holds pairs made from training masks too). Without
/// a manifest the pairs still train, but their source masks are unknown, so the low-data arms that
/// must avoid the real subset's masks cannot use them.
public struct SyntheticSet: Sendable {
    public struct Pair: Sendable, Equatable {
        public var files: SampleFiles
        /// The file name of the real mask the pair was made from (manifest.json), if known.
        public var sourceMask: String?
    }

    public let root: URL
    public let segTypes: [String]
    public let pairs: [Pair]
    /// Whether manifest.json named a source mask for every pair.
    public let knowsSourceMasks: Bool
    /// The split of the real data the masks were taken from (manifest.json's `mask_split`), if recorded.
    public let maskSplit: String?

    public static func open(_ path: String, flag: String) throws -> SyntheticSet {
        let root = URL(fileURLWithPath: path)
        let images = root.appendingPathComponent("images"), masks = root.appendingPathComponent("masks")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: images.path, isDirectory: &isDirectory), isDirectory.boolValue,
              FileManager.default.fileExists(atPath: masks.path) else {
            throw UsageError("\(flag) \(path) has no images/ and masks/ folders; give the output folder of segmadiff synthesize (SYN/images/<split>/, SYN/masks/<seg type>/<split>/)")
        }
        let present = Split.allCases.filter { FileManager.default.fileExists(atPath: images.appendingPathComponent($0.rawValue).path) }
        guard !present.isEmpty else {
            throw UsageError("\(images.path) has no train/ or val/ folder; give the output folder of segmadiff synthesize")
        }
        let layout: DatasetLayout
        do {
            layout = try DatasetLayout.discover(DatasetOptions(imageDirectory: images.path, maskDirectory: masks.path, splits: present,
                                                               segmentationClasses: nil, imageSize: 1))
        } catch {
            throw UsageError("\(flag) \(path): \(error)")
        }
        let manifest = try SyntheticManifest.read(root)
        let pairs = present.flatMap { split in
            (layout.samples[split] ?? []).map { files in
                Pair(files: files, sourceMask: manifest?.sourceMasks["images/\(split.rawValue)/\(files.name)"])
            }
        }
        return SyntheticSet(root: root, segTypes: layout.segTypes, pairs: pairs,
                            knowsSourceMasks: manifest != nil && pairs.allSatisfy { $0.sourceMask != nil },
                            maskSplit: manifest?.maskSplit)
    }
}

/// What the benchmark needs from synthesize's manifest.json, read defensively: a manifest that is
/// absent gives nil; one that cannot be parsed is an error (it was meant to be there); entries
/// without a `file` or `source_mask` are skipped.
struct SyntheticManifest {
    /// Pair image file, relative to the folder ("images/train/NAME.png") -> source mask file name.
    var sourceMasks: [String: String]
    var maskSplit: String?

    static func read(_ root: URL) throws -> SyntheticManifest? {
        let url = root.appendingPathComponent("manifest.json")
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw UsageError("\(url.path) cannot be read as JSON; remove it to use the pairs without their source masks, or synthesize again")
        }
        var sources: [String: String] = [:]
        for entry in object["images"] as? [[String: Any]] ?? [] {
            guard let file = entry["file"] as? String, let source = entry["source_mask"] as? String else { continue }
            sources[file] = source
        }
        return SyntheticManifest(sourceMasks: sources, maskSplit: object["mask_split"] as? String)
    }
}
