import Datasets
import Diffusion
import Foundation
import Torch
import Training

/// How faithfully a generated volume's slices follow their labels: a trained segmenter
/// (`train-segmenter`, the one `segmadiff metrics` scores with) labels each generated slice, and
/// the Dice of its labels against the slice's own (background left out, the mean over the classes
/// either map has) is averaged over the slices — over all generated slices, and over those of each
/// split of the model's data where the import's slices.csv says which slice went where.
///
/// Each slice is scored as `eval_many` then `metrics` would score it: at the model's size, stored
/// in 8 bits, read back as [0, 1] (the segmenter's data were 8-bit PNGs) and resized to the
/// segmenter's size; the labels are resized to that size with nearest neighbours.
public struct SliceDice: Sendable {
    /// Mean Dice over the generated slices that have foreground in either map.
    public var mean: Double?
    public var slices: Int
    /// The same over the slices of each split of the model's data, in split order.
    public var bySplit: [(split: Split, mean: Double?, slices: Int)]
}

/// Collects each generated slice's Dice while the volume is made.
struct SliceDiceMeter {
    let segmenter: Segmenter
    /// Each scored slice's Dice (nil: no foreground in either map).
    private(set) var perSlice: [Int: Double?] = [:]

    /// Loads the segmenter and checks that it knows the model's classes.
    init(path: String, classes: Int?, device: Device) throws {
        segmenter = try Segmenter.load(from: URL(fileURLWithPath: path), device: device)
        if let classes, classes != segmenter.config.classes {
            throw UsageError("--segmenter \(path) knows \(segmenter.config.classes) classes, but the model makes \(classes); train the segmenter on the model's data (segmadiff train-segmenter)")
        }
    }

    /// `images` [B, 1, S, S] in [-1, 1] of the slices `indices`, whose labels are `labels` [B, R, C].
    mutating func add(_ images: Tensor, labels: Tensor, indices: [Int]) {
        let side = segmenter.config.imageSize
        var stored = ImageOutput.eightBit(images).to(.float32) / 255 * 2 - 1
        if stored.shape[2] != side || stored.shape[3] != side {
            stored = stored.interpolated(height: side, width: side, mode: .bilinearAntialias)
        }
        let reference = labels.unsqueezed(1).resizedLabels(height: side, width: side).squeezed(1)
        let predicted = segmenter.segment(stored)
        let counts = DiceScore.counts(predicted: predicted, reference: reference, classes: segmenter.config.classes)
        for (index, slice) in zip(indices, counts) { perSlice[index] = DiceScore.mean(slice.map(\.dice)) }
    }

    /// The means, overall and (with `roles`, each slice index's split) per split.
    func summary(roles: [Int: SliceRole]?) -> SliceDice {
        func mean(_ indices: [Int]) -> (Double?, Int) {
            let values = indices.compactMap { perSlice[$0] ?? nil }
            return (values.isEmpty ? nil : values.reduce(0, +) / Double(values.count), values.count)
        }
        let (all, count) = mean(Array(perSlice.keys))
        var bySplit: [(split: Split, mean: Double?, slices: Int)] = []
        if let roles {
            for split in Split.allCases {
                let (value, n) = mean(perSlice.keys.filter { roles[$0] == SliceRole(split) })
                if n > 0 { bySplit.append((split, value, n)) }
            }
        }
        return SliceDice(mean: all, slices: count, bySplit: bySplit)
    }

    /// The split of each slice index of the model's data, from the slices.csv beside the import
    /// record, when it describes one volume (or names `image`): its slices are the label volume's
    /// slices along the model's axis.
    static func roles(record: String?, image: String?) -> [Int: SliceRole]? {
        guard let record else { return nil }
        let file = URL(fileURLWithPath: record).deletingLastPathComponent().appendingPathComponent(SliceProvenance.fileName).path
        guard let rows = try? SliceProvenance.read(file) else { return nil }
        let volumes = Set(rows.map(\.volume))
        let chosen: String?
        if volumes.count == 1 {
            chosen = volumes.first
        } else if let image {
            let wanted = URL(fileURLWithPath: image).standardizedFileURL.path
            chosen = volumes.first { URL(fileURLWithPath: $0).standardizedFileURL.path == wanted }
        } else {
            chosen = nil
        }
        guard let chosen else { return nil }
        var roles: [Int: SliceRole] = [:]
        for row in rows where row.volume == chosen { roles[row.sliceIndex] = row.role }
        return roles
    }
}
