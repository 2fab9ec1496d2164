import ArgumentParser
import Datasets
import Foundation
import ModelCard

/// The flags that say how volumes are cut into slices (axis, range, window, label grouping,
/// splits), shared by every volume importer (import-nifti, import-dicom).
struct VolumeSlicingFlags: ParsableArguments {
    @Option(help: "Folder to create the data set in (must not already hold images/ or masks/).")
    var output: String

    @Option(help: "Slicing axis in voxel order: z (a slice per file of a DICOM series; axial for an axial volume), x (sagittal) or y (coronal).")
    var axis: String = "z"

    @Option(help: "Slice indices to consider, FIRST-LAST (default: all).")
    var slices: String?

    @Flag(name: [.customLong("keep_empty"), .customLong("keep-empty")], help: "Keep slices whose labels are all background.")
    var keepEmpty = false

    @Option(help: ArgumentHelp("Intensity window LOW,HIGH in the volume's units (HU for CT), or a CT preset: \(IntensityWindowPreset.listing) (default: each volume's min-max).", valueName: "LOW,HIGH|PRESET"))
    var window: String?

    @Option(name: [.customLong("bit_depth"), .customLong("bit-depth")], help: "Bits per image PNG sample: 8 or 16.")
    var bitDepth = 8

    @Option(name: [.customLong("label_map"), .customLong("label-map")], help: "Group labels into classes: LOW-HIGH:CLASS or LABEL:CLASS, comma-separated; unnamed labels become 0.")
    var labelMap: String?

    @Option(name: [.customLong("seg_type"), .customLong("seg-type")], help: "Seg type folder for the masks.")
    var segType = "all"

    @Option(name: [.customLong("split_by"), .customLong("split-by")], help: ArgumentHelp(
        "How slices are split: \(SplitRule.allCases.map(\.rawValue).joined(separator: ", ")).",
        discussion: "auto: by volume when there is a volume for each split, else by slab. volume: each volume whole in one split. slab: each volume cut into contiguous slabs with --gap unused slices between splits. slice: one by one (neighbouring slices leak between splits). OUTPUT/slices.csv lists every slice's volume, index and split."))
    var splitBy = "auto"

    @Option(help: "Unused slices between slabs of different splits (slab split).")
    var gap = SplitRule.defaultGap

    @Option(help: "Train, val and test fractions.")
    var split = "0.8,0.1,0.1"

    @Option(help: "Seed of the split assignment.")
    var seed: UInt64 = 0

    func validate() throws {
        try FlagChecks.check(self)
        _ = try applied(to: NiftiImportOptions(volumes: [], output: ""))
    }

    /// `options` with every flag applied; a bad value is a one-line ValidationError naming the flag.
    func applied(to options: NiftiImportOptions) throws -> NiftiImportOptions {
        var options = options
        options.output = output
        guard let axis = ["x": NiftiImportOptions.Axis.x, "y": .y, "z": .z][axis.lowercased()] else {
            throw ValidationError("--axis \(axis) is not x, y or z")
        }
        options.axis = axis
        if let slices {
            let bounds = slices.split(separator: "-").map { Int($0) }
            guard bounds.count == 2, let first = bounds[0], let last = bounds[1], first <= last, first >= 0 else {
                throw ValidationError("--slices \(slices) is not FIRST-LAST (for example 40-140)")
            }
            options.sliceRange = first...last
        }
        options.skipEmptySlices = !keepEmpty
        if let window {
            guard let bounds = IntensityWindowPreset.parse(window) else {
                throw ValidationError("--window \(window) is not LOW,HIGH with finite LOW < HIGH (for example -1000,1000) or one of the presets \(IntensityWindowPreset.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.intensity = .window(low: bounds.low, high: bounds.high)
        }
        options.bitDepth = bitDepth
        options.labelGrouping = try labelMap.map(LabelGrouping.parse)
        options.segType = segType
        guard let rule = SplitRule(rawValue: splitBy.lowercased()) else {
            let names = SplitRule.allCases.map(\.rawValue)
            throw ValidationError("--split_by \(splitBy) is not \(names.dropLast().joined(separator: ", ")) or \(names.last!)")
        }
        options.splitRule = rule
        guard (0...100_000).contains(gap) else {
            throw ValidationError("--gap \(gap) is outside 0...100000; give the number of unused slices between slabs of different splits (default \(SplitRule.defaultGap))")
        }
        options.splitGap = gap
        let fractions = split.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard fractions.count == 3, let train = fractions[0], let val = fractions[1], let test = fractions[2],
              [train, val, test].allSatisfy({ $0.isFinite && $0 >= 0 && $0 <= 1e6 }) else {
            throw ValidationError("--split \(split) is not three finite TRAIN,VAL,TEST fractions of 0 or more (for example 0.8,0.1,0.1)")
        }
        options.fractions = (train, val, test)
        options.seed = seed
        return options
    }
}
