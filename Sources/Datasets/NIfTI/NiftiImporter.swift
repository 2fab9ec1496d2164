import Foundation
import ModelCard
import Torch

/// Cuts 3-D image and label volumes into a 2-D data set in the seed's layout:
/// `OUTPUT/images/<split>/NAME.png` and `OUTPUT/masks/<seg type>/<split>/NAME.png`, NAME being
/// `<volume>_<axis><index>`. Everything is read and checked before the first file is written.
public enum NiftiImporter {
    public struct Summary: Sendable {
        public var slices: [Split: Int]
        /// Classes in the written masks, background included (what --num_segmentation_classes needs).
        public var classCount: Int
        public var imageDirectory: String
        public var maskDirectory: String
        /// `OUTPUT/nifti_import.json`: what was done, for `sample-volume`.
        public var recordPath: String = ""
    }

    /// One slice to write: which volume, which index, which split.
    private struct Cut {
        var volume: Int
        var index: Int
        var name: String
        var split: Split = .train
    }

    public static func run(_ options: NiftiImportOptions) throws -> Summary {
        try checkOptions(options)
        let imageRoot = FolderListing.join(options.output, "images")
        let maskRoot = FolderListing.join(FolderListing.join(options.output, "masks"), options.segType)
        let volumes = try options.volumes.map { try prepared($0, options) }
        var cuts = try slicesToCut(volumes, options)
        assignSplits(&cuts, volumeCount: volumes.count, options)
        let classCount = volumes.map(\.classCount).max() ?? 1

        let failures = parallelMap(cuts.count) { index -> Error? in
            let cut = cuts[index]
            do {
                let volume = volumes[cut.volume]
                let file = cut.name + ".png"
                try ImageFile.writePNG(slice(volume.image, options.axis, cut.index), to: "\(imageRoot)/\(cut.split.rawValue)/\(file)")
                try ImageFile.writePNG(slice(volume.labels, options.axis, cut.index), to: "\(maskRoot)/\(cut.split.rawValue)/\(file)")
                return nil
            } catch {
                return error
            }
        }
        if let failure = failures.compactMap({ $0 }).first { throw failure }
        var counts: [Split: Int] = [:]
        for cut in cuts { counts[cut.split, default: 0] += 1 }
        var summary = Summary(slices: counts, classCount: classCount, imageDirectory: imageRoot,
                              maskDirectory: FolderListing.join(options.output, "masks"))
        summary.recordPath = FolderListing.join(options.output, NiftiImportRecord.fileName)
        try record(of: volumes, classCount: classCount, options).write(to: summary.recordPath)
        return summary
    }

    private static func checkOptions(_ options: NiftiImportOptions) throws {
        guard !options.volumes.isEmpty else { throw DataError("no volumes given; pass --image and --labels") }
        guard options.bitDepth == 8 || options.bitDepth == 16 else {
            throw DataError("--bit_depth \(options.bitDepth) is not 8 or 16")
        }
        let f = options.fractions
        guard f.train >= 0, f.val >= 0, f.test >= 0, f.train + f.val + f.test > 0 else {
            throw DataError("--split fractions \(f.train),\(f.val),\(f.test) must be 0 or more and not all 0")
        }
        for folder in ["images", "masks"] {
            let path = FolderListing.join(options.output, folder)
            if FileManager.default.fileExists(atPath: path) {
                throw DataError("\(path) already exists; choose a new --output folder so no data set is overwritten")
            }
        }
    }

    /// A volume pair, read, checked, grouped and quantised: image [z, y, x] uint8/uint16, labels the same.
    private struct PreparedVolume {
        var name: String
        var image: Tensor
        var labels: Tensor
        var classCount: Int
        var source: NiftiImportRecord.Volume
    }

    private static func record(of volumes: [PreparedVolume], classCount: Int, _ options: NiftiImportOptions) -> NiftiImportRecord {
        let intensity: NiftiImportRecord.Intensity = switch options.intensity {
        case .none: .none
        case .minMax: .minMax
        case .window(let low, let high): .window(low: low, high: high)
        }
        return NiftiImportRecord(axis: options.axis.letter, intensity: intensity, bitDepth: options.bitDepth,
                                 labelMap: options.labelGrouping.map { $0.ranges.map { [$0.0.lowerBound, $0.0.upperBound, $0.1] } },
                                 classes: classCount, segType: options.segType, volumes: volumes.map(\.source))
    }

    private static func prepared(_ pair: (image: String, labels: String), _ options: NiftiImportOptions) throws -> PreparedVolume {
        let image = try NiftiVolume.read(pair.image), labels = try NiftiVolume.read(pair.labels)
        guard image.dims == labels.dims else {
            throw DataError("\(pair.labels) is \(labels.dims.map(String.init).joined(separator: "x")) voxels, but \(pair.image) is \(image.dims.map(String.init).joined(separator: "x")); labels must be on the image's grid (resample them first)")
        }
        return try Engine.catching {
            let values = labels.data
            if values.dtype.isFloatingPoint, values.ne(values.rounded()).any().item != 0 {
                throw DataError("\(pair.labels) holds non-integer values; a label volume needs integer labels")
            }
            var grouped = values.to(.int64)
            if grouped.min().item < 0 { throw DataError("\(pair.labels) has negative labels; labels must be 0 or more") }
            if let grouping = options.labelGrouping { grouped = grouping.apply(grouped) }
            let highest = Int(grouped.max().item)
            // Masks are written as 16-bit PNGs at most: a larger label would wrap around (70000
            // becoming 4464) and silently merge with another class.
            guard highest <= 65535 else {
                let after = options.labelGrouping == nil ? "" : " after --label_map"
                throw DataError("\(pair.labels) has label \(highest)\(after), more than a 16-bit PNG mask holds (0-65535); group the labels into classes with --label_map (for example 1-1000:1,1001-70000:2)")
            }
            let classCount = highest + 1
            let maskType: DType = classCount <= 256 ? .uint8 : .uint16
            let source = NiftiImportRecord.Volume(
                image: pair.image, labels: pair.labels, orientation: image.orientation.description, dims: image.dims,
                spacing: image.spacing.map { $0.isFinite ? $0 : 0 }, intensityRange: [image.data.min().item, image.data.max().item])
            return PreparedVolume(name: volumeName(pair.image), image: quantised(image, options),
                                  labels: grouped.to(maskType), classCount: classCount, source: source)
        }
    }

    private static func quantised(_ volume: NiftiVolume, _ options: NiftiImportOptions) -> Tensor {
        let values = volume.data.to(.float64)
        let unit: Tensor
        switch options.intensity {
        case .none:
            let maximum: Double? = switch volume.data.dtype {
            case .uint8: 255
            case .uint16: 65535
            default: nil
            }
            unit = (maximum.map { values / $0 } ?? values).clamped(min: 0, max: 1)
        case .minMax:
            let low = values.min(), span = (values.max() - low).clamped(min: 1e-12)
            unit = (values - low) / span
        case .window(let low, let high):
            unit = ((values - low) / Swift.max(high - low, 1e-12)).clamped(min: 0, max: 1)
        }
        let top = options.bitDepth == 16 ? 65535.0 : 255.0
        return (unit * top).rounded().clamped(min: 0, max: top).to(options.bitDepth == 16 ? .uint16 : .uint8)
    }

    private static func slicesToCut(_ volumes: [PreparedVolume], _ options: NiftiImportOptions) throws -> [Cut] {
        var cuts: [Cut] = []
        let names = uniqueNames(volumes.map(\.name))
        for (v, volume) in volumes.enumerated() {
            let dim = 2 - options.axis.rawValue  // data are [z, y, x]
            let length = volume.labels.shape[dim]
            let range = options.sliceRange.map { Swift.max(0, $0.lowerBound)...Swift.min(length - 1, $0.upperBound) } ?? 0...(length - 1)
            guard !range.isEmpty else { continue }
            let others = [0, 1, 2].filter { $0 != dim }
            let labelled = volume.labels.ne(0).any(dims: others).to(.uint8).scalars(as: UInt8.self)
            let digits = String(length - 1).count
            for index in range where !options.skipEmptySlices || labelled[index] != 0 {
                let number = String(repeating: "0", count: Swift.max(0, digits - String(index).count)) + String(index)
                cuts.append(Cut(volume: v, index: index, name: "\(names[v])_\(options.axis.letter)\(number)"))
            }
        }
        guard !cuts.isEmpty else {
            throw DataError("\(options.volumes[0].labels): no slices to write (every slice in range has only background); check --slices, --label_map or --keep_empty")
        }
        return cuts
    }

    /// Seeded assignment of volumes or slices to train/val/test in the given fractions.
    private static func assignSplits(_ cuts: inout [Cut], volumeCount: Int, _ options: NiftiImportOptions) {
        let units = options.splitUnit == .volume ? volumeCount : cuts.count
        let order = ShuffleOrder.permutation(count: units, seed: options.seed, epoch: 0)
        let f = options.fractions, total = f.train + f.val + f.test
        var val = Int((Double(units) * f.val / total).rounded()), test = Int((Double(units) * f.test / total).rounded())
        // A split asked for gets at least one unit when there are enough to go round.
        let asked = [f.train, f.val, f.test].filter { $0 > 0 }.count
        if units >= asked {
            if f.val > 0 { val = Swift.max(val, 1) }
            if f.test > 0 { test = Swift.max(test, 1) }
            if f.train > 0 && units - val - test < 1 { if val >= test { val -= 1 } else { test -= 1 } }
        }
        var splitOfUnit = [Split](repeating: .train, count: units)
        for (rank, unit) in order.enumerated() {
            splitOfUnit[unit] = rank < units - val - test ? .train : (rank < units - test ? .val : .test)
        }
        for i in cuts.indices {
            cuts[i].split = splitOfUnit[options.splitUnit == .volume ? cuts[i].volume : i]
        }
    }

    /// Slice `index` along `axis` as [1, rows, columns], flipped so the far end of the row axis
    /// (anterior or superior in RAS-stored volumes) is at the top, as viewers show it.
    private static func slice(_ volume: Tensor, _ axis: NiftiImportOptions.Axis, _ index: Int) -> Tensor {
        volume.selected(dim: 2 - axis.rawValue, index: index).flipped([0]).unsqueezed(0).contiguous()
    }

    private static func volumeName(_ path: String) -> String {
        var name = (path as NSString).lastPathComponent
        for suffix in [".gz", ".nii"] where name.lowercased().hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
        return name
    }

    private static func uniqueNames(_ names: [String]) -> [String] {
        names.enumerated().map { i, name in names.filter { $0 == name }.count > 1 ? "\(name)_v\(i)" : name }
    }
}
