import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Torch

/// `segmadiff sample-volume`: a 3-D image generated slice by slice from a label volume, written as
/// NIfTI on the labels' grid (same shape, qform/sform, spacing and orientation).
struct SampleVolume: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-volume",
        abstract: "Generate a NIfTI image volume from a NIfTI label volume, slice by slice, on the labels' grid.",
        discussion: """
            The labels are grouped as the model's data were by import-nifti (its nifti_import.json, found \
            beside the run's data or given with --import_record), cut in the plane and orientation the \
            model was trained on, resized to the model's size (nearest), generated, resized back and \
            written with the label volume's header geometry, in the volume's units where the import \
            recorded them (HU for CT cut with a window). Prints how alike neighbouring slices are.
            Example: segmadiff sample-volume --checkpoint_dir run --labels seg.nii.gz --output synth.nii.gz \
            --sampler ddim --num_inference_steps 50 --slice_noise_correlation 0.5 --figure synth
            """)

    @Option(name: .customLong("labels"), help: "Label volume (.nii or .nii.gz) to generate an image for.")
    var labels: String

    @Option(name: .customLong("output"), help: "NIfTI file to write (.nii or .nii.gz).")
    var output: String

    @Option(name: .customLong("axis"), help: "Plane of the generated slices: axial, coronal or sagittal (default: the plane the model's data were cut in).")
    var axis: AnatomicalAxis?

    @Option(name: .customLong("image"), help: "A real image on the labels' grid: shown in the figure beside the generated one, and its slice agreement printed.")
    var image: String?

    @Option(name: .customLong("figure"), help: "Write the orthogonal-view figure (axial, coronal, sagittal through the centre) as PATH.png and PATH.pdf.")
    var figure: String?

    @Flag(name: .customLong("skip_empty"), help: "Leave slices without labels at background instead of generating them.")
    var skipEmpty = false

    @Option(name: .customLong("slice_noise_correlation"), help: "rho in [0, 1]: each slice's noise is sqrt(rho) shared + sqrt(1 - rho) its own (x_T and DDPM's step noise), so neighbouring slices agree more; 0 draws every slice independently. Default 0.5: on the demo's brain it brings the neighbours' agreement two thirds of the way to the real volume's without the repeated texture of 1 (docs/sample-volume.md).")
    var sliceNoiseCorrelation = 0.5

    @Option(name: .customLong("segmenter"), help: "A segmenter from train-segmenter (the folder, or the output folder above it): each generated slice is segmented and its Dice against its labels printed, averaged over the slices (and over each split of the model's data, where the import's slices.csv says).")
    var segmenter: String?

    @Option(name: .customLong("dicom"), help: "Also write the volume as a new DICOM series into this folder (new UIDs, ImageType DERIVED, a series description saying it is synthetic), on the labels' grid.")
    var dicom: String?

    @Option(name: .customLong("dicom_modality"), help: "The series' modality: CT or MR (default: CT when the values are in a window's units, HU, else MR); anything else writes secondary captures.")
    var dicomModality: String?

    @Option(name: .customLong("import_record"), help: "The nifti_import.json import-nifti wrote for the model's data (default: found through the run's --img_dir, or beside the run folder).")
    var importRecord: String?

    @Option(name: .customLong("label_map"), help: "Group labels into classes as at import (LOW-HIGH:CLASS,...); replaces the import record's.")
    var labelMap: String?

    @Option(name: .customLong("window"), help: "The import's intensity window LOW,HIGH (write --window=-1000,1000 for a negative LOW); replaces the import record's, and the output is written in its units.")
    var window: String?

    // A section of its own in --help, apart from the flags of this command.
    @OptionGroup(title: "Model and sampling (as for segmadiff sample)") var options: RunOptions

    func validate() throws {
        guard options.checkpointDir != nil || options.outputDir != nil else {
            throw ValidationError("sample-volume needs --checkpoint_dir (the run folder that holds unet/)")
        }
        try FlagChecks.number("--slice_noise_correlation", sliceNoiseCorrelation, in: 0, through: 1)
        _ = try parsedWindow()
    }

    func run() throws {
        Engine.threads = options.threads ?? ProcessInfo.processInfo.activeProcessorCount
        let device = try options.device.resolved()
        let evaluation = try ModeRunner(options: options).evaluationOptions(maskFolder: nil, device: device)
        var request = VolumeSamplingOptions(evaluation: evaluation, labels: labels, output: output)
        request.image = image
        request.figure = figure.map(Self.withoutImageExtension)
        request.axis = axis
        request.skipEmpty = skipEmpty
        request.sliceNoiseCorrelation = sliceNoiseCorrelation
        request.importRecord = importRecord
        request.labelGrouping = try labelMap.map(LabelGrouping.parse)
        request.window = try parsedWindow()
        request.dicom = dicom
        request.segmenter = segmenter
        request.dicomModality = dicomModality
        let summary = try VolumeSampling.run(request) { print($0) }
        print(Self.report(summary))
    }

    private func parsedWindow() throws -> (low: Double, high: Double)? {
        guard let window else { return nil }
        let bounds = window.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard bounds.count == 2, let low = bounds[0], let high = bounds[1], low.isFinite, high.isFinite, low < high else {
            throw ValidationError("--window \(window) is not LOW,HIGH with LOW < HIGH (for example --window=-1000,1000)")
        }
        return (low, high)
    }

    /// `fig.png` and `fig` both mean fig.png + fig.pdf.
    static func withoutImageExtension(_ path: String) -> String {
        for suffix in [".png", ".pdf"] where path.lowercased().hasSuffix(suffix) { return String(path.dropLast(suffix.count)) }
        return path
    }

    static func report(_ s: VolumeSampling.Summary) -> String {
        let empty = s.leftEmpty > 0 ? " (\(s.leftEmpty) without labels left at background)" : ""
        let order = s.labelOrientation == s.sliceOrientation ? s.labelOrientation : "\(s.labelOrientation), generated in \(s.sliceOrientation) as the model's slices were"
        var lines = ["segmadiff: wrote \(s.output): \(s.generated) \(s.axis.rawValue) slices generated\(empty); voxel order \(order); values in \(s.units)"]
        if let record = s.record { lines.append("label grouping and units from \(record)") }
        func ncc(_ a: SliceAgreement) -> String {
            String(format: "%.3f inside the labels, %.3f over whole slices (%d pairs)", a.insideLabels, a.wholeSlice, a.pairs)
        }
        lines.append("adjacent-slice NCC: generated \(ncc(s.agreement))")
        if let real = s.realAgreement { lines.append("adjacent-slice NCC: real      \(ncc(real))") }
        func dice(_ d: SliceDice) -> String {
            let value = { (mean: Double?) in mean.map { String(format: "%.3f", $0) } ?? "none" }
            let splits = d.bySplit.map { "\($0.split.rawValue) \(value($0.mean)) (\($0.slices))" }.joined(separator: ", ")
            return "all \(value(d.mean)) (\(d.slices) slices)" + (splits.isEmpty ? "" : "; by split of the model's data: \(splits)")
        }
        if let d = s.dice { lines.append("slice Dice (segmenter vs labels): generated \(dice(d))") }
        if let d = s.realDice { lines.append("slice Dice (segmenter vs labels): real      \(dice(d))") }
        if let dicom = s.dicom { lines.append("DICOM series: \(dicom)") }
        if !s.figures.isEmpty { lines.append("figure: \(s.figures.joined(separator: ", "))") }
        return lines.joined(separator: "\n")
    }
}

extension AnatomicalAxis: ExpressibleByArgument {}
