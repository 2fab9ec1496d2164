import ArgumentParser
import Evaluation
import Foundation
import Torch

/// The segmenter's training flags, shared by `train-segmenter` and `benchmark-synthetic` (whose
/// every run trains the same segmenter), so both take the same names, defaults and checks.
struct SegmenterTrainingFlags: ParsableArguments {
    @Option(name: .customLong("num_segmentation_classes"), help: "Classes including background (labels 0..K-1).")
    var numSegmentationClasses: Int

    @Option(name: .customLong("img_size"), help: "Image side the segmenter works at.")
    var imgSize: Int

    @Option(name: .customLong("num_img_channels"))
    var numImgChannels = 1

    @Option(name: .customLong("normalization"), help: "Intensity scaling of 16-bit PNG and NPY images: none, minmax or window:LOW,HIGH (as for training the model).")
    var normalization = NormalizationChoice(.none)

    @Option(name: .customLong("num_epochs"), help: "Segmenter epochs (per run).")
    var numEpochs = 30

    @Option(name: .customLong("train_batch_size"))
    var trainBatchSize = 16

    @Option(name: .customLong("learning_rate"), help: "Peak AdamW rate (cosine decay to 0).")
    var learningRate = 2e-3

    @Option(name: .customLong("dice_loss_weight"), help: "Weight of the soft Dice loss added to cross-entropy; 0 turns it off.")
    var diceLossWeight = 1.0

    @Option(name: .customLong("widths"), help: "Channels per level, finest first (multiples of 8); the last is the feature size for FID/KID.")
    var widths = ChannelList([16, 32, 64, 128])

    @Flag(name: .customLong("no_flips"), help: "Do not flip training images left-right.")
    var noFlips = false

    @Flag(name: .customLong("no_intensity_jitter"), help: "Train on the scans' exact grey levels (no random brightness, contrast and gamma); the segmenter then scores intensity calibration along with anatomy.")
    var noIntensityJitter = false

    @Option(name: .customLong("device"), help: "auto, cpu or cuda.")
    var device: DeviceChoice = .auto

    @Option(name: .customLong("threads"), help: "CPU threads (default: all cores).")
    var threads: Int?

    func validate() throws { try FlagChecks.check(self) }

    /// Sets the engine's threads and describes one segmenter training on these folders.
    func options(images: String, masks: String, output: String, seed: UInt64 = 0, overwrite: Bool = false) throws -> SegmenterTrainingOptions {
        Engine.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        return SegmenterTrainingOptions(
            imageDirectory: images, maskDirectory: masks, outputDirectory: output, classes: numSegmentationClasses,
            imageSize: imgSize, imageChannels: numImgChannels, normalization: normalization.value, widths: widths.values,
            epochs: numEpochs, batchSize: trainBatchSize, learningRate: learningRate, diceWeight: diceLossWeight,
            flips: !noFlips, intensityJitter: !noIntensityJitter, seed: seed, device: try device.resolved(), overwrite: overwrite)
    }
}
