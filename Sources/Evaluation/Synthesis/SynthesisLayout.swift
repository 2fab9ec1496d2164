import Datasets
import Foundation
import Torch
import Training

/// Where a synthesized data set's files go: segmadiff's own layout (the seed's), so that
/// `--img_dir OUT/images --seg_dir OUT/masks` trains a segmenter or another diffusion model on it:
///
///     OUT/images/<split>/NAME.png
///     OUT/masks/<seg type>/<split>/NAME.png      (integer labels, one map per seg type)
///     OUT/manifest.json
///
/// The layout pairs an image with its masks by file name, so masks take the image's extension:
/// NPY beside NPY images (other than 1 or 3 channels, or windowed intensities).
struct SynthesisLayout {
    let root: URL
    let segTypes: [String]
    let fileExtension: String

    func imageFile(_ stem: String, _ split: Split) -> String { "images/\(split.rawValue)/\(stem).\(fileExtension)" }

    func maskFiles(_ stem: String, _ split: Split) -> [String] {
        segTypes.map { "masks/\($0)/\(split.rawValue)/\(stem).\(fileExtension)" }
    }

    func url(_ file: String) -> URL { root.appendingPathComponent(file) }

    func exists(_ file: String) -> Bool { FileManager.default.fileExists(atPath: url(file).path) }

    /// The folders of `splits`, made before the first write.
    func createFolders(_ splits: [Split]) throws {
        for split in splits {
            try OutputFolder.create(url("images/\(split.rawValue)"))
            for type in segTypes { try OutputFolder.create(url("masks/\(type)/\(split.rawValue)")) }
        }
    }

    /// Writes one label map [1, S, S] as the layout's mask file.
    func writeMask(_ labels: Tensor, to file: String) throws {
        if fileExtension == "png" {
            try SampleImageWriter.writeLabels(labels, to: url(file).path)
        } else {
            try ImageFile.writeNPY(labels.to(labels.max().item > 255 ? .int32 : .uint8).contiguous(), to: url(file).path)
        }
    }

    /// A synthesized data set goes into a new folder, an empty one, or one it wrote before (with its
    /// manifest.json): never among other files, whose names it could take.
    static func checkOutputFolder(_ root: URL) throws {
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { $0 != ".lock" }
        guard !entries.isEmpty, !entries.contains(SampleManifest.fileName) else { return }
        throw UsageError("\(root.path) already holds other files (\(entries.sorted().prefix(3).joined(separator: ", "))); give --output_dir a new or empty folder for the data set")
    }

    /// The source masks whose samples go to `val`: a seeded draw of round(fraction x masks) of them
    /// (at least one when the fraction is above 0). Splitting by source mask keeps every sample of
    /// one mask, edited variants included, on one side, so the val split never holds a near-copy
    /// of a training pair.
    static func validationMasks(maskCount: Int, fraction: Double, seed: UInt64) throws -> Set<Int> {
        guard fraction > 0 else { return [] }
        guard maskCount >= 2 else {
            throw UsageError("--val_fraction \(fraction) needs at least 2 source masks to keep one for training; there is \(maskCount)")
        }
        let count = min(max(1, Int((fraction * Double(maskCount)).rounded())), maskCount - 1)
        let order = ShuffleOrder.permutation(count: maskCount, seed: ShuffleOrder.mixed(seed, 0x7A1_5B11), epoch: 0)
        return Set(order.prefix(count))
    }
}
