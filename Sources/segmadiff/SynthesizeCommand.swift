import ArgumentParser
import Datasets
import Evaluation
import Foundation
import Torch
import Training

/// `segmadiff synthesize`: a ready data set of image + mask pairs (segmadiff's layout, optionally an
/// nnU-Net v2 raw data set) from a trained model and a mask source, with seeded mask edits.
struct Synthesize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a data set of generated image + mask pairs, ready to train a segmenter (or nnU-Net) on.",
        discussion: """
            Writes OUT/images/train/NAME.png, the mask of each as OUT/masks/<seg type>/train/NAME.png \
            (val/ too with --val_fraction) and OUT/manifest.json (source mask, edits, seeds, sampler and \
            guidance of every pair). Masks come from one split of --seg_dir or from --masks DIR, in \
            file-name order, reused with a counter suffix when --count is larger. Each --edit is applied \
            in order with the pair's own seed; a pair whose edits leave a class empty is dropped and \
            counted. A stopped run continues where it was when run again. docs/synthesize.md has the details.
            Edits: flip[:axis=x|y]  affine[:rotate=10,scale=0.1,shift=0.05]  elastic[:alpha=2,grid=8] \
             remove:class=K  grow:class=K[,px=2]  shrink:class=K[,px=2]  move:class=K[,dx=-4..4,dy=-4..4]; \
            each also takes p=P, the chance it is applied (default 1).
            Example: segmadiff synthesize --checkpoint_dir run --seg_dir data/masks --split train --count 500 \
            --edit flip:p=0.5 --edit affine:p=0.5 --output_dir synth --nnunet nnUNet_raw/Dataset501_Synth
            """)

    @OptionGroup var options: RunOptions

    @Option(name: .customLong("masks"), help: "A folder of mask files (PNG, JPEG or NPY label maps) to use instead of --seg_dir.")
    var masks: String?

    @Option(name: .customLong("split"), help: "The split of --seg_dir whose masks are used: train, val or test.")
    var split = "train"

    @Option(name: .customLong("count"), help: "How many pairs to make (default: one per source mask).")
    var count: Int?

    @Option(name: .customLong("edit"), help: ArgumentHelp("A mask edit NAME[:KEY=VALUE,...], applied in the order given; repeatable (see above and docs/synthesize.md).", valueName: "edit"))
    var edits: [String] = []

    @Option(name: .customLong("val_fraction"), help: "The share of source masks whose pairs go to val/ instead of train/ (0 to below 1).")
    var valFraction = 0.0

    @Option(name: .customLong("nnunet"), help: "Also write an nnU-Net v2 raw data set into this folder, named DatasetNNN_Name.")
    var nnunet: String?

    @Option(name: .customLong("modality"), help: "nnU-Net's channel_names, one per image channel, comma-separated, e.g. MRI or CT (default: image; R,G,B for RGB).")
    var modality: String?

    // RunOptions checks its own flags (ArgumentParser validates option groups first).
    func validate() throws {
        if let count, !(1...FlagChecks.maximumSampleCount).contains(count) {
            throw ValidationError("--count \(count) must be from 1 to \(FlagChecks.maximumSampleCount); make larger data sets in several runs")
        }
        guard valFraction.isFinite, valFraction >= 0, valFraction < 1 else {
            throw ValidationError("--val_fraction \(valFraction) must be at least 0 and below 1, for example 0.2")
        }
        guard Split(rawValue: split) != nil else { throw ValidationError("--split \(split) must be train, val or test") }
    }

    func run() throws {
        guard let output = options.outputDir else {
            throw UsageError("segmadiff synthesize needs --output_dir, the folder the data set is written into")
        }
        guard options.checkpointDir != nil else {
            throw UsageError("segmadiff synthesize needs --checkpoint_dir, the run folder of the trained model (the one holding unet/)")
        }
        if options.useAblatedSegmentations || options.evalBlankMask {
            throw UsageError("synthesize writes the mask each image was sampled under; instead of --use_ablated_segmentations or --eval_blank_mask, take classes out with --edit remove:class=K")
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        Engine.threads = options.threads ?? cores
        let runner = ModeRunner(options: options)
        var sampling = try runner.evaluationOptions(maskFolder: masks, device: try runner.device(nil))
        sampling.outputDirectory = output
        if masks != nil { sampling.maskDirectory = nil }
        if masks != nil, options.segDir != nil {
            throw UsageError("segmadiff synthesize takes its masks from --seg_dir (with --split) or from --masks DIR, not both; drop one")
        }
        let synthesis = SynthesisOptions(
            sampling: sampling, split: Split(rawValue: split)!, count: count, edits: try edits.map(MaskEdit.init(parsing:)),
            valFraction: valFraction, nnunetFolder: nnunet, channelNames: modality.map(Self.names),
            classNames: options.classNames.map(Self.names))
        let summary = try DatasetSynthesis.run(synthesis)
        let kept = summary.skipped > 0 ? " (\(summary.skipped) already there)" : ""
        let dropped = summary.dropped > 0 ? "; \(summary.dropped) dropped (their edits left a class empty, see manifest.json)" : ""
        let splits = summary.splitCounts.keys.sorted().map { "\($0) \(summary.splitCounts[$0]!)" }.joined(separator: ", ")
        print("segmadiff: \(summary.written + summary.skipped) pairs in \(summary.folder.path) (\(splits)): \(summary.written) written\(kept)\(dropped); list in manifest.json")
        if let folder = summary.nnunetFolder {
            print("segmadiff: nnU-Net raw data set in \(folder.path) (imagesTr, labelsTr, dataset.json)")
        }
    }

    private static func names(_ list: String) -> [String] {
        list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }
}
