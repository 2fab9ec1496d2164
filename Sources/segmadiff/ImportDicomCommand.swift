import ArgumentParser
import Datasets
import Foundation

/// `segmadiff import-dicom --series DIR --labels LABELS.nii.gz --output OUT ...`: cuts DICOM series
/// (read through GDCM) with NIfTI label volumes into the 2-D layout training reads, as import-nifti
/// does for NIfTI pairs.
struct ImportDicom: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-dicom",
        abstract: "Cut DICOM series with NIfTI label volumes into 2-D PNG slices in segmadiff's data layout.",
        discussion: """
            Each --series folder is searched recursively; the series with --series_uid is taken, else the largest. \
            Slices are ordered along the slice normal, CT values are in HU, and the labels must lie on the \
            series' grid. Every slice's source is listed in OUTPUT/dicom_slices.csv. See docs/dicom-import.md.

            Example (a head CT with its segmentation, brain window):
              segmadiff import-dicom --series ct/p01 --labels p01.nii.gz \\
                --series ct/p02 --labels p02.nii.gz --output headct \\
                --window brain --split_by volume
            """)

    @Option(name: .customLong("series"), help: "Folder holding a DICOM series (searched recursively); repeat for several series.")
    var series: [String]

    @Option(name: .customLong("series_uid"), help: "SeriesInstanceUID to take from each --series folder, in the same order (default: each folder's largest series).")
    var seriesUIDs: [String] = []

    @Option(name: .customLong("labels"), help: "NIfTI label volume on the series' grid, one per --series, in the same order.")
    var labels: [String]

    @OptionGroup var slicing: VolumeSlicingFlags

    func validate() throws {
        guard series.count == labels.count else {
            throw ValidationError("give one --labels per --series (\(series.count) series, \(labels.count) label volumes)")
        }
        guard seriesUIDs.isEmpty || seriesUIDs.count == series.count else {
            throw ValidationError("give one --series_uid per --series, or none (\(series.count) series, \(seriesUIDs.count) UIDs)")
        }
    }

    func run() throws {
        var options = DicomImportOptions(sources: series.indices.map {
            DicomImportOptions.Source(folder: series[$0], seriesUID: seriesUIDs.isEmpty ? nil : seriesUIDs[$0], labels: labels[$0])
        }, output: slicing.output)
        options.slicing = try slicing.applied(to: options.slicing)
        if options.slicing.splitRule == .slice { FileHandle.standardError.write(Data("segmadiff: \(SplitRule.sliceLeakWarning)\n".utf8)) }
        let summary = try DicomImporter.run(options)
        let counts = Split.allCases.map { "\($0.rawValue) \(summary.slices[$0] ?? 0)" }.joined(separator: ", ")
        let unused = summary.unusedSlices > 0 ? " (\(summary.unusedSlices) gap slices unused)" : ""
        print("wrote \(counts) slices\(unused); images in \(summary.imageDirectory), masks in \(summary.maskDirectory)")
        print("\(summary.splitExplanation); every slice's series, index and split in \(summary.provenanceFile), its DICOM file in \(DicomImporter.recordPath(output: slicing.output))")
        print("train with --img_dir \(summary.imageDirectory) --seg_dir \(summary.maskDirectory) --num_segmentation_classes \(summary.classCount)")
    }
}
