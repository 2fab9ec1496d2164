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
        /// The rule applied (`auto` resolved) and its gap.
        public var splitRule: SplitRule
        public var splitGap: Int
        /// Gap slices left out so that no two splits hold neighbouring slices.
        public var unusedSlices: Int
        /// OUTPUT/slices.csv: every slice's source volume, index and split.
        public var provenanceFile: String
        /// What the split guarantees, in one line.
        public var splitExplanation: String
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
        try run(options.volumes.map { NiftiLabelledVolume(image: $0.image, labels: $0.labels) }, options)
    }

    /// Cuts any labelled volumes (a DICOM series with its labels, say) as `options` asks; its
    /// `volumes` are not read.
    public static func run(_ sources: [any LabelledVolume], _ options: NiftiImportOptions) throws -> Summary {
        try checkOptions(options, sourceCount: sources.count)
        let imageRoot = FolderListing.join(options.output, "images")
        let maskRoot = FolderListing.join(FolderListing.join(options.output, "masks"), options.segType)
        let volumes = try sources.map { try prepared($0, options) }
        let kept = try slicesToCut(volumes, sources, options)
        let assignment = try SliceSplitter.assign(
            volumes: kept.enumerated().map { (sources[$0.offset].source, $0.element.count) },
            rule: options.splitRule, gap: options.splitGap,
            fractions: SplitFractions(train: options.fractions.train, val: options.fractions.val, test: options.fractions.test),
            seed: options.seed)
        var cuts: [Cut] = [], provenance: [SliceProvenance] = []
        for (volumeCuts, roles) in zip(kept, assignment.roles) {
            for (cut, role) in zip(volumeCuts, roles) {
                provenance.append(SliceProvenance(name: cut.name + ".png", role: role, volume: sources[cut.volume].source,
                                                  sliceIndex: cut.index))
                if let split = role.split { cuts.append(Cut(volume: cut.volume, index: cut.index, name: cut.name, split: split)) }
            }
        }
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
        let provenanceFile = FolderListing.join(options.output, SliceProvenance.fileName)
        do { try AtomicFile.write(SliceProvenance.csv(provenance), to: provenanceFile) } catch { throw DataError("\(error)") }
        var counts: [Split: Int] = [:]
        for cut in cuts { counts[cut.split, default: 0] += 1 }
        var summary = Summary(slices: counts, classCount: classCount, imageDirectory: imageRoot,
                              maskDirectory: FolderListing.join(options.output, "masks"), splitRule: assignment.rule,
                              splitGap: assignment.gap, unusedSlices: assignment.count(.unused), provenanceFile: provenanceFile,
                              splitExplanation: assignment.explanation)
        summary.recordPath = FolderListing.join(options.output, NiftiImportRecord.fileName)
        try record(of: volumes, classCount: classCount, options).write(to: summary.recordPath)
        return summary
    }

    private static func checkOptions(_ options: NiftiImportOptions, sourceCount: Int) throws {
        guard sourceCount > 0 else { throw DataError("no volumes given; pass --image and --labels") }
        guard options.bitDepth == 8 || options.bitDepth == 16 else {
            throw DataError("--bit_depth \(options.bitDepth) is not 8 or 16")
        }
        let f = options.fractions
        if let problem = SplitFractions(train: f.train, val: f.val, test: f.test).problem { throw DataError(problem) }
        guard options.splitGap >= 0 else { throw DataError("--gap \(options.splitGap) must be 0 or more slices") }
        for folder in ["images", "masks", SliceProvenance.fileName] {
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

    private static func prepared(_ source: any LabelledVolume, _ options: NiftiImportOptions) throws -> PreparedVolume {
        let (image, labels) = try source.load()
        return try Engine.catching {
            let values = labels
            if values.dtype.isFloatingPoint, values.ne(values.rounded()).any().item != 0 {
                throw DataError("\(source.labelsPath) holds non-integer values; a label volume needs integer labels")
            }
            var grouped = values.to(.int64)
            if grouped.min().item < 0 { throw DataError("\(source.labelsPath) has negative labels; labels must be 0 or more") }
            if let grouping = options.labelGrouping { grouped = grouping.apply(grouped) }
            let highest = Int(grouped.max().item)
            // Masks are written as 16-bit PNGs at most: a larger label would wrap around (70000
            // becoming 4464) and silently merge with another class.
            guard highest <= 65535 else {
                let after = options.labelGrouping == nil ? "" : " after --label_map"
                throw DataError("\(source.labelsPath) has label \(highest)\(after), more than a 16-bit PNG mask holds (0-65535); group the labels into classes with --label_map (for example 1-1000:1,1001-70000:2)")
            }
            let classCount = highest + 1
            let maskType: DType = classCount <= 256 ? .uint8 : .uint16
            let grid = try source.sliceGrid()
            let record = NiftiImportRecord.Volume(
                image: source.source, labels: source.labelsPath, orientation: grid.orientation.description, dims: grid.dims,
                spacing: grid.spacing.map { $0.isFinite ? $0 : 0 }, intensityRange: [image.min().item, image.max().item])
            return PreparedVolume(name: source.name, image: quantised(image, options),
                                  labels: grouped.to(maskType), classCount: classCount, source: record)
        }
    }

    private static func quantised(_ volume: Tensor, _ options: NiftiImportOptions) -> Tensor {
        let values = volume.to(.float64)
        let unit: Tensor
        switch options.intensity {
        case .none:
            let maximum: Double? = switch volume.dtype {
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

    /// The slices each volume keeps, in slice order (one list per volume, possibly empty).
    private static func slicesToCut(_ volumes: [PreparedVolume], _ sources: [any LabelledVolume], _ options: NiftiImportOptions) throws -> [[Cut]] {
        var cuts: [[Cut]] = Array(repeating: [], count: volumes.count)
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
                cuts[v].append(Cut(volume: v, index: index, name: "\(names[v])_\(options.axis.letter)\(number)"))
            }
        }
        guard cuts.contains(where: { !$0.isEmpty }) else {
            throw DataError("\(sources[0].labelsPath): no slices to write (every slice in range has only background); check --slices, --label_map or --keep_empty")
        }
        return cuts
    }

    /// Slice `index` along `axis` as [1, rows, columns], flipped so the far end of the row axis
    /// (anterior or superior in RAS-stored volumes) is at the top, as viewers show it.
    private static func slice(_ volume: Tensor, _ axis: NiftiImportOptions.Axis, _ index: Int) -> Tensor {
        volume.selected(dim: 2 - axis.rawValue, index: index).flipped([0]).unsqueezed(0).contiguous()
    }

    private static func uniqueNames(_ names: [String]) -> [String] {
        names.enumerated().map { i, name in names.filter { $0 == name }.count > 1 ? "\(name)_v\(i)" : name }
    }
}
