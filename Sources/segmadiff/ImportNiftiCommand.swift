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

    // The slicing flags (their multi-word names in the seed's underscores, the hyphenated
    // spellings of earlier versions still accepted) are shared with import-dicom.
    @OptionGroup var slicing: VolumeSlicingFlags

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
        return try slicing.applied(to: NiftiImportOptions(volumes: Array(zip(images, labels)), output: slicing.output))
    }
}
