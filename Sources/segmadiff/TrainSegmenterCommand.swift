import ArgumentParser
import Evaluation
import Foundation
import Torch

/// `segmadiff train-segmenter --img_dir IMG --seg_dir MASK --num_segmentation_classes K --img_size S
/// --output_dir OUT`: the small segmentation U-Net that `segmadiff metrics` judges generated images with.
struct TrainSegmenterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train-segmenter",
        abstract: "Train the segmentation network that `segmadiff metrics` uses, on the real train split.",
        discussion: """
            Writes OUT/segmenter/ (segmenter.safetensors and segmenter.json), keeping the weights of the
            epoch with the best Dice on the val split, and reports their Dice on the test split (IMG/test,
            when present): the val split chose the epoch, so only test Dice measures accuracy. Use the
            data and flags the diffusion model was trained with, for example:
              segmadiff train-segmenter --img_dir data/img --seg_dir data/mask \\
                --num_segmentation_classes 4 --img_size 64 --output_dir run
            """)

    @Option(name: .customLong("img_dir"), help: "Image folder with train/, val/ and (for the accuracy) test/.")
    var imgDir: String

    @Option(name: .customLong("seg_dir"), help: "Mask folder with <seg type>/{train,val}/, same file names as the images.")
    var segDir: String

    @Option(name: .customLong("output_dir"), help: "Folder to write segmenter/ into (for example the diffusion run's folder).")
    var outputDir: String

    @Option(name: .customLong("seed"))
    var seed: UInt64 = 0

    @OptionGroup var training: SegmenterTrainingFlags

    @Flag(name: .customLong("overwrite"), help: "Replace a segmenter already in the output folder.")
    var overwrite = false

    func run() throws {
        let options = try training.options(images: imgDir, masks: segDir, output: outputDir, seed: seed, overwrite: overwrite)
        let summary = try SegmenterTrainer.train(options)
        print("segmadiff: segmenter (\(summary.parameterCount) parameters) trained \(summary.epochs) epochs; kept epoch \(summary.bestEpoch), chosen by val Dice")
        if summary.testCount > 0 {
            let perClass = summary.testDicePerClass.enumerated()
                .map { "\($0.offset + 1): \($0.element.map { String(format: "%.3f", $0) } ?? "n/a")" }.joined(separator: ", ")
            let mean = summary.testDice.map { String(format: "%.3f", $0) } ?? "n/a"
            print("test Dice \(mean) (\(perClass)) on \(summary.testCount) test images")
        } else {
            print("no test split (\((imgDir as NSString).appendingPathComponent("test")) with masks in \((segDir as NSString).appendingPathComponent("<seg type>/test"))), so its accuracy is not measured; the val split only chose the epoch")
        }
        print("saved to \(summary.folder.path); score generated images with: segmadiff metrics --segmenter \(summary.folder.path) --generated DIR --real \((imgDir as NSString).appendingPathComponent("test"))")
    }
}
