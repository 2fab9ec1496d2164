import ArgumentParser
import Datasets
import Foundation
import Models

/// Range checks of every numeric flag, called with one line from each command's `validate()`.
///
/// Two kinds of value get through a plain `value > 0` guard: NaN (every comparison with it is false,
/// so `(0..<1).contains(.nan)` is false but `!(x <= 0)` is true) and infinity (which passes `> 0`
/// and then traps in `Int(x)`). Every floating-point flag is therefore checked for finiteness first.
/// Sizes get sanity bounds (ModelBounds and the limits below) so that a slip of the keyboard
/// (`--threads 100000`, `--eval_sample_size 1e12`) is a message, not 100000 threads. Whether a sane
/// size fits in memory is a separate estimate.
enum FlagChecks {
    /// Batch sizes: far above what fits a GPU at any useful image size.
    static let maximumBatchSize = 4096
    /// Images one eval_many run may generate.
    static let maximumSampleCount = 1_000_000
    /// Epochs of one run.
    static let maximumEpochs = 1_000_000
    /// Classes of a label map: a 16-bit mask holds labels up to 65535.
    static let maximumClasses = 65536
    /// Context slices on each side: a few neighbours matter, and each adds a mask's channels.
    static let maximumContextSlices = 16
    /// Processes one launch may start on one machine.
    static let maximumProcesses = 1024

    /// CPU threads: 4x this machine's cores (at least 8, at most 1024). More threads than that
    /// only contend; --threads 100000 would start 100000 OS threads.
    static var maximumThreads: Int { min(1024, max(8, 4 * ProcessInfo.processInfo.activeProcessorCount)) }

    // MARK: the commands

    static func check(_ o: RunOptions) throws {
        try integer("--img_size", o.imgSize, 1...ModelBounds.imageSide, fix: "use a smaller size")
        try integer("--num_img_channels", o.numImgChannels, 1...ModelBounds.ioChannels)
        if let k = o.numSegmentationClasses { try integer("--num_segmentation_classes", k, 1...maximumClasses) }
        try integer("--train_batch_size", o.trainBatchSize, 1...maximumBatchSize)
        try integer("--eval_batch_size", o.evalBatchSize, 1...maximumBatchSize)
        try integer("--num_epochs", o.numEpochs, 1...maximumEpochs)
        try integer("--eval_sample_size", o.evalSampleSize, 1...maximumSampleCount, fix: "generate the images in several runs")
        try integer("--layers_per_block", o.layersPerBlock, 1...ModelBounds.layersPerBlock)
        try integer("--lr_warmup_steps", o.lrWarmupSteps, 0...Int(Int32.max))
        if let epoch = o.resumeEpoch { try integer("--resume_epoch", epoch, 0...maximumEpochs) }
        try channels("--block_out_channels", o.blockOutChannels.values)
        try threads(o.threads)
        try positive("--learning_rate", o.learningRate)
        try number("--ema_decay", o.emaDecay, in: 0, below: 1)
        try number("--cfg_p_uncond", o.cfgPUncond, in: 0, below: 1)
        if let k = o.givenContextSlices { try integer("--context_slices", k, 0...maximumContextSlices) }
        if let sigma = o.givenPreviousSliceNoise { try number("--previous_slice_noise", sigma, in: 0, through: 10) }
        try number("--guidance_scale", o.guidanceScale, atLeast: 0)
        try number("--guidance_detail_scale", o.guidanceDetailScale, atLeast: 0)
        try number("--guidance_rescale", o.guidanceRescale, in: 0, through: 1)
        try number("--trans_noise_level (--strength)", o.transNoiseLevel, in: 0, through: 1)
        try positive("--dist_timeout", o.distTimeout, atMost: 7 * 86400)
        try positive("--dist_bucket_mb", o.distBucketMB, atMost: 65536)
        if let given = o.givenNormalization { try normalization("--normalization", given) }
    }

    static func check(_ c: SegmenterTrainingFlags) throws {
        try integer("--img_size", c.imgSize, 1...ModelBounds.imageSide, fix: "use a smaller size")
        try integer("--num_img_channels", c.numImgChannels, 1...ModelBounds.ioChannels)
        try integer("--num_segmentation_classes", c.numSegmentationClasses, 2...maximumClasses)
        try integer("--num_epochs", c.numEpochs, 1...maximumEpochs)
        try integer("--train_batch_size", c.trainBatchSize, 1...maximumBatchSize)
        try channels("--widths", c.widths.values)
        try threads(c.threads)
        try positive("--learning_rate", c.learningRate)
        try number("--dice_loss_weight", c.diceLossWeight, atLeast: 0)
        try normalization("--normalization", c.normalization)
    }

    static func check(_ c: BenchmarkSyntheticCommand) throws {
        try integer("--seeds", c.seeds, 1...100, fix: "3 to 5 seeds give a usable interval")
    }

    static func check(_ c: MetricsCommand) throws {
        try integer("--batch_size", c.batchSize, 1...maximumBatchSize)
        try threads(c.threads)
        if let choice = c.generatedNormalization { try normalization("--generated_normalization", choice) }
    }

    static func check(_ c: Demo) throws {
        // The demo's data are drawn at twice the training size.
        try integer("--img_size", c.imgSize, 8...ModelBounds.imageSide / 2, fix: "use a smaller size")
        try integer("--num_epochs", c.numEpochs, 1...maximumEpochs)
        try integer("--segmenter_epochs", c.segmenterEpochs, 1...maximumEpochs)
        try integer("--seeds", c.seeds, 1...100, fix: "3 to 5 seeds give a usable spread")
        try number("--cfg_p_uncond", c.cfgPUncond, in: 0, below: 1)
        try number("--guidance_scale", c.guidanceScale, atLeast: 0)
        try threads(c.threads)
    }

    static func check(_ c: Launch) throws {
        try integer("--nproc_per_node", c.nprocPerNode, 1...maximumProcesses)
        try integer("--nnodes", c.nnodes, 1...65536)
        try number("--grace_period", c.gracePeriod, in: 0, through: 86400)
    }

    static func check(_ c: VolumeSlicingFlags) throws {
        try integer("--gap", c.gap, 0...100_000, fix: "give the number of unused slices between slabs of different splits (default \(SplitRule.defaultGap))")
        if let window = c.window {
            for part in window.split(separator: ",") {
                if let value = Double(part.trimmingCharacters(in: .whitespaces)), !value.isFinite {
                    throw ValidationError("--window \(window) holds \(value); give two finite numbers LOW,HIGH (for example -1000,1000)")
                }
            }
        }
        for part in c.split.split(separator: ",") {
            if let value = Double(part.trimmingCharacters(in: .whitespaces)), !(value.isFinite && value >= 0 && value <= 1e6) {
                throw ValidationError("--split \(c.split) holds \(value); give three finite fractions of 0 or more (for example 0.8,0.1,0.1)")
            }
        }
    }

    // MARK: the checks

    static func integer(_ flag: String, _ value: Int, _ range: ClosedRange<Int>, fix: String? = nil) throws {
        guard range.contains(value) else {
            throw ValidationError("\(flag) \(value) is outside \(range.lowerBound)...\(range.upperBound)" + (fix.map { "; \($0)" } ?? ""))
        }
    }

    static func threads(_ value: Int?) throws {
        guard let value else { return }
        try integer("--threads", value, 1...maximumThreads, fix: "at most 4x this machine's \(ProcessInfo.processInfo.activeProcessorCount) cores; leave it out to use all cores")
    }

    static func channels(_ flag: String, _ values: [Int]) throws {
        guard values.count <= ModelBounds.levels else {
            throw ValidationError("\(flag) has \(values.count) levels; at most \(ModelBounds.levels) are supported")
        }
        for value in values { try integer("\(flag) entry", value, 1...ModelBounds.channels) }
    }

    /// A finite number; NaN and infinity are named as such.
    static func finite(_ flag: String, _ value: Double) throws {
        guard value.isFinite else { throw ValidationError("\(flag) must be a finite number (got \(value))") }
    }

    static func positive(_ flag: String, _ value: Double, atMost limit: Double = .greatestFiniteMagnitude) throws {
        try finite(flag, value)
        guard value > 0, value <= limit else {
            throw ValidationError("\(flag) must be positive" + (limit < .greatestFiniteMagnitude ? " and at most \(limit)" : "") + " (got \(value))")
        }
    }

    static func number(_ flag: String, _ value: Double, atLeast low: Double) throws {
        try finite(flag, value)
        guard value >= low else { throw ValidationError("\(flag) must be \(low) or more (got \(value))") }
    }

    static func number(_ flag: String, _ value: Double, in low: Double, below high: Double) throws {
        try finite(flag, value)
        guard value >= low, value < high else { throw ValidationError("\(flag) must be in [\(low), \(high)) (got \(value))") }
    }

    static func number(_ flag: String, _ value: Double, in low: Double, through high: Double) throws {
        try finite(flag, value)
        guard value >= low, value <= high else { throw ValidationError("\(flag) must be in [\(low), \(high)] (got \(value))") }
    }

    static func normalization(_ flag: String, _ choice: NormalizationChoice) throws {
        if case .window(let low, let high) = choice.value, !(low.isFinite && high.isFinite) {
            throw ValidationError("\(flag) window:\(low),\(high) must have finite bounds (for example window:-1000,1000)")
        }
    }
}
