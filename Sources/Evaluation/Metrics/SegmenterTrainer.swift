import Datasets
import Foundation
import Torch
import Training

/// What a finished segmenter training gives back.
public struct SegmenterTrainingSummary: Sendable {
    /// OUT/segmenter.
    public let folder: URL
    public let epochs: Int
    /// The epoch (1-based) whose weights were kept: the best mean val Dice.
    public let bestEpoch: Int
    /// The val Dice that chose `bestEpoch`. Not an accuracy: the epoch was picked to maximise it, so
    /// it is biased upwards (report `testDice`).
    public let validationDice: Double?
    /// Classes 1..K-1.
    public let validationDicePerClass: [Double?]
    /// Dice of the kept weights on the test split, which played no part in training or in choosing
    /// the epoch; nil when the data have no test split.
    public let testDice: Double?
    /// Classes 1..K-1; empty when there is no test split.
    public let testDicePerClass: [Double?]
    /// Images in the test split (0: none).
    public let testCount: Int
    public let parameterCount: Int
}

/// Trains a segmenter on the real train split (cross-entropy + soft Dice, AdamW with a cosine decay),
/// measures Dice on the val split after each epoch, keeps the best epoch's weights, and reports their
/// accuracy on the test split, never on the val split that chose them.
public enum SegmenterTrainer {
    public static func train(_ options: SegmenterTrainingOptions) throws -> SegmenterTrainingSummary {
        let config = SegmenterConfig(imageChannels: options.imageChannels, classes: options.classes,
                                     imageSize: options.imageSize, widths: options.widths,
                                     normalization: options.normalization)
        if let problem = config.problem { throw UsageError(problem) }
        for (name, value) in [("--num_epochs", options.epochs), ("--train_batch_size", options.batchSize)] where value < 1 {
            throw UsageError("\(name) must be at least 1 (got \(value))")
        }
        let folder = URL(fileURLWithPath: options.outputDirectory).appendingPathComponent(Segmenter.folderName)
        if !options.overwrite, FileManager.default.fileExists(atPath: folder.appendingPathComponent(Segmenter.configFile).path) {
            throw UsageError("\(folder.path) already holds a segmenter; pass --overwrite to train a new one in its place")
        }
        // The test split is optional (a data set may keep it elsewhere), but when it is there, it is
        // where the accuracy is measured.
        let hasTest = hasTestSplit(options)
        let dataOptions = DatasetOptions(
            imageDirectory: options.imageDirectory, maskDirectory: options.maskDirectory,
            splits: hasTest ? [.train, .val, .test] : [.train, .val],
            imageChannels: options.imageChannels, segmentationClasses: options.classes, imageSize: options.imageSize,
            normalization: options.normalization)
        var layout = try DatasetLayout.discover(dataOptions)
        if let samples = options.trainingSamples {
            // The given pairs are validated like IMG/train's would be (labels, channels, sizes).
            layout = DatasetLayout(segTypes: layout.segTypes, samples: layout.samples.merging([.train: samples]) { $1 })
        }
        let data = try Dataset.open(dataOptions, layout: layout)
        for split in [Split.train, .val] where data.samples(split).isEmpty {
            throw UsageError("the \(split.rawValue) split is empty; put images and masks in \(split.rawValue)/")
        }

        Engine.manualSeed(options.seed)
        let segmenter = try Segmenter(config: config, device: options.device)
        let run = TrainingRun(options: options, segmenter: segmenter, data: data)
        let best = try run.fit()
        let test = hasTest ? try evaluate(segmenter, data, split: .test, batchSize: options.batchSize) : nil
        segmenter.config.bestEpoch = best.epoch
        segmenter.config.validationDice = best.dice.mean
        segmenter.config.validationDicePerClass = best.dice.perClass
        segmenter.config.testDice = test?.mean
        segmenter.config.testDicePerClass = test?.perClass
        segmenter.config.testImages = test?.imageMeans.count ?? 0
        segmenter.config.intensityJitter = options.intensityJitter
        try segmenter.save(to: folder)
        return SegmenterTrainingSummary(folder: folder, epochs: options.epochs, bestEpoch: best.epoch,
                                        validationDice: best.dice.mean, validationDicePerClass: best.dice.perClass,
                                        testDice: test?.mean, testDicePerClass: test?.perClass ?? [],
                                        testCount: test?.imageMeans.count ?? 0, parameterCount: segmenter.parameterCount)
    }

    /// Whether the data hold a test split to measure accuracy on: IMG/test, and MASK/<seg type>/test
    /// for every seg type.
    static func hasTestSplit(_ options: SegmenterTrainingOptions) -> Bool {
        func isFolder(_ path: String) -> Bool {
            var folder: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &folder) && folder.boolValue
        }
        let masks = options.maskDirectory as NSString
        let segTypes = ((try? FileManager.default.contentsOfDirectory(atPath: options.maskDirectory)) ?? [])
            .filter { !$0.hasPrefix(".") && isFolder(masks.appendingPathComponent($0)) }
        return isFolder((options.imageDirectory as NSString).appendingPathComponent(Split.test.rawValue))
            && !segTypes.isEmpty
            && segTypes.allSatisfy { isFolder((masks.appendingPathComponent($0) as NSString).appendingPathComponent(Split.test.rawValue)) }
    }

    /// Dice of `segmenter` on every sample of `split`, in file order.
    static func evaluate(_ segmenter: Segmenter, _ data: Dataset, split: Split, batchSize: Int) throws -> DiceAccumulator {
        let loader = Loader(data, split: split, options: LoaderOptions(batchSize: batchSize, shuffle: false, cacheSamples: true))
        var dice = DiceAccumulator(classes: segmenter.config.classes)
        while let batch = try loader.next() {
            let predicted = segmenter.segment(batch.images!)
            dice.add(predicted: predicted, reference: batch.labels!.squeezed(1), names: batch.names)
        }
        return dice
    }
}

/// The state of one training: the loop, the val checks and the best weights so far.
private final class TrainingRun {
    let options: SegmenterTrainingOptions
    let segmenter: Segmenter
    let data: Dataset
    let loss: SegmentationLoss
    let optimizer: AdamW
    let flips: Generator
    let jitter: IntensityJitter?
    let train: Loader
    let val: Loader

    init(options: SegmenterTrainingOptions, segmenter: Segmenter, data: Dataset) {
        self.options = options
        self.segmenter = segmenter
        self.data = data
        loss = SegmentationLoss(diceWeight: options.diceWeight)
        segmenter.network.setRequiresGrad(true)
        var settings = AdamW.Settings()
        settings.learningRate = options.learningRate
        settings.weightDecay = 1e-4
        optimizer = AdamW(segmenter.network.namedParameters(), settings: settings)
        flips = Generator(seed: options.seed &+ 0x5E6)
        jitter = options.intensityJitter ? IntensityJitter(seed: options.seed &+ 0x1D7) : nil
        train = Loader(data, split: .train, options: LoaderOptions(batchSize: options.batchSize, seed: options.seed, cacheSamples: true))
        val = Loader(data, split: .val, options: LoaderOptions(batchSize: options.batchSize, shuffle: false, cacheSamples: true))
    }

    func fit() throws -> (epoch: Int, dice: DiceAccumulator) {
        let totalSteps = options.epochs * train.batchesPerEpoch
        let bar = options.verbose ? ProgressBar("segmenter", total: totalSteps) : nil
        var step = 0
        var best: (epoch: Int, dice: DiceAccumulator, weights: [String: Tensor])?
        for epoch in 1...options.epochs {
            var lossSum = 0.0, batches = 0
            while let batch = try train.next() {
                lossSum += trainStep(batch, step: step, of: totalSteps)
                batches += 1
                step += 1
                bar?.update(step: step, [("epoch", "\(epoch)"), ("loss", String(format: "%.4f", lossSum / Double(batches)))])
            }
            let dice = try SegmenterTrainer.evaluate(segmenter, data, split: .val, batchSize: options.batchSize)
            // Ties (and val sets with no foreground at all) go to the later, longer-trained epoch.
            if best == nil || (dice.mean ?? -1) >= (best!.dice.mean ?? -1) {
                best = (epoch, dice, segmenter.network.stateDict().mapValues { $0.detached().clone() })
            }
        }
        bar?.finish()
        guard let best else { fatalError("SegmenterTrainer: at least one epoch runs") }
        try segmenter.network.load(stateDict: best.weights)
        return (best.epoch, best.dice)
    }

    /// One AdamW update; returns the batch's loss.
    private func trainStep(_ batch: Batch, step: Int, of totalSteps: Int) -> Double {
        var images = batch.images!.to(segmenter.device)
        var labels = batch.labels!.squeezed(1).to(segmenter.device)
        if options.flips {
            let flip = Tensor.rand([batch.count], generator: flips).lt(0.5).to(segmenter.device)
            images = Tensor.where(flip.reshaped(-1, 1, 1, 1), images.flipped([3]), images)
            labels = Tensor.where(flip.reshaped(-1, 1, 1), labels.flipped([2]), labels)
        }
        if let jitter { images = jitter(images) }
        let value = loss(segmenter.network(images).logits, labels)
        value.backward()
        // Cosine decay from the full rate to 0 over the run: large steps early, a settled end.
        let progress = Double(step) / Double(max(1, totalSteps))
        optimizer.step(learningRate: options.learningRate * 0.5 * (1 + cos(Double.pi * progress)))
        optimizer.zeroGrad()
        return value.item
    }
}
