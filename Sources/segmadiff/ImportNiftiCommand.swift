import ArgumentParser
import Datasets
import Foundation
import ModelCard

/// `segmadiff import-nifti --image T1.nii.gz --labels atlas.nii.gz --output DIR ...`: cuts 3-D volumes
/// into the 2-D folder layout training reads (DIR/images/<split>/, DIR/masks/<seg type>/<split>/).
struct ImportNifti: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-nifti",
        abstract: "Cut NIfTI image and label volumes into 2-D PNG slices in segmadiff's data layout.",
        discussion: """
            Example (Debian mricron-data, AAL atlas grouped into lobes):
              segmadiff import-nifti --image /usr/share/mricron/templates/ch2.nii.gz \\
                --labels /usr/share/mricron/templates/aal.nii.gz --output brain \\
                --label_map 1-28:1,29-42:2,43-56:3,57-70:4,71-78:5,79-90:6,91-116:7
            """)

    @Option(name: .customLong("image"), help: "Image volume (.nii or .nii.gz); repeat for several volumes.")
    var images: [String]

    @Option(name: .customLong("labels"), help: "Label volume on the same grid, one per --image, in the same order.")
    var labels: [String]

    // Multi-word flags use the seed's underscores, as every other command does; the hyphenated
    // spellings of earlier versions stay accepted.
    @Option(help: "Folder to create the data set in (must not already hold images/ or masks/).")
    var output: String

    @Option(help: "Slicing axis in voxel order: x (sagittal), y (coronal) or z (axial).")
    var axis: String = "z"

    @Option(help: "Slice indices to consider, FIRST-LAST (default: all).")
    var slices: String?

    @Flag(name: [.customLong("keep_empty"), .customLong("keep-empty")], help: "Keep slices whose labels are all background.")
    var keepEmpty = false

    @Option(help: "Intensity window LOW,HIGH in the volume's units (default: each volume's min-max).")
    var window: String?

    @Option(name: [.customLong("bit_depth"), .customLong("bit-depth")], help: "Bits per image PNG sample: 8 or 16.")
    var bitDepth = 8

    @Option(name: [.customLong("label_map"), .customLong("label-map")], help: "Group labels into classes: LOW-HIGH:CLASS or LABEL:CLASS, comma-separated; unnamed labels become 0.")
    var labelMap: String?

    @Option(name: [.customLong("seg_type"), .customLong("seg-type")], help: "Seg type folder for the masks.")
    var segType = "all"

    @Option(name: [.customLong("split_by"), .customLong("split-by")], help: ArgumentHelp(
        "How slices are split: auto, volume, slab or slice.",
        discussion: "auto: by volume when there is a volume for each split, else by slab. volume: each volume whole in one split. slab: each volume cut into contiguous slabs with --gap unused slices between splits. slice: one by one (neighbouring slices leak between splits). OUTPUT/slices.csv lists every slice's volume, index and split."))
    var splitBy = "auto"

    @Option(help: "Unused slices between slabs of different splits (slab split).")
    var gap = SplitRule.defaultGap

    @Option(help: "Train, val and test fractions.")
    var split = "0.8,0.1,0.1"

    @Option(help: "Seed of the split assignment.")
    var seed: UInt64 = 0

    func validate() throws { try FlagChecks.check(self) }

    func run() throws {
        let options = try importOptions()
        if options.splitRule == .slice { FileHandle.standardError.write(Data("segmadiff: \(SplitRule.sliceLeakWarning)\n".utf8)) }
        let summary = try NiftiImporter.run(options)
        let counts = Split.allCases.map { "\($0.rawValue) \(summary.slices[$0] ?? 0)" }.joined(separator: ", ")
        let unused = summary.unusedSlices > 0 ? " (\(summary.unusedSlices) gap slices unused)" : ""
        print("wrote \(counts) slices\(unused); images in \(summary.imageDirectory), masks in \(summary.maskDirectory)")
        print("\(summary.splitExplanation); every slice's volume, index and split in \(summary.provenanceFile)")
        print("train with --img_dir \(summary.imageDirectory) --seg_dir \(summary.maskDirectory) --num_segmentation_classes \(summary.classCount)")
    }

    func importOptions() throws -> NiftiImportOptions {
        guard images.count == labels.count else {
            throw ValidationError("give one --labels per --image (\(images.count) images, \(labels.count) label volumes)")
        }
        var options = NiftiImportOptions(volumes: Array(zip(images, labels)), output: output)
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
            let bounds = window.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard bounds.count == 2, let low = bounds[0], let high = bounds[1], low < high else {
                throw ValidationError("--window \(window) is not LOW,HIGH with LOW < HIGH (for example -1000,1000)")
            }
            options.intensity = .window(low: low, high: high)
        }
        options.bitDepth = bitDepth
        options.labelGrouping = try labelMap.map(LabelGrouping.parse)
        options.segType = segType
        guard let rule = SplitRule(rawValue: splitBy.lowercased()) else {
            throw ValidationError("--split_by \(splitBy) is not auto, volume, slab or slice")
        }
        options.splitRule = rule
        options.splitGap = gap
        let fractions = split.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard fractions.count == 3, let train = fractions[0], let val = fractions[1], let test = fractions[2] else {
            throw ValidationError("--split \(split) is not TRAIN,VAL,TEST fractions (for example 0.8,0.1,0.1)")
        }
        options.fractions = (train, val, test)
        options.seed = seed
        return options
    }
}
