import Datasets
import Diffusion
import Foundation
import ModelCard
import Models
import Torch

/// The training loop of SPEC 6 with segmadiff's fixes: seeded, exactly resumable, atomic
/// checkpoints with the full training state, per-sample mask ablation, optional EMA and bf16.
///
/// One step: x0, ε ~ N(0, I), t ~ U{0..999} → x_t = add_noise(x0, ε, t) → ε̂ = unet(concat(x_t, mask), t)
/// → MSE(ε̂, ε) → backward → clip at 1.0 → AdamW at the cosine-warm-up rate → EMA.
public final class Trainer {
    public let options: TrainingOptions
    public let folder: RunFolder
    public let stop: StopRequest
    /// Called after each finished epoch (0-based), after its grid and checkpoint.
    public var onEpochEnd: ((Int) -> Void)?

    public init(_ options: TrainingOptions, stop: StopRequest = StopRequest()) {
        self.options = options
        self.folder = RunFolder(options.outputDirectory)
        self.stop = stop
    }

    public struct Summary: Sendable {
        public var epochsDone: Int
        public var globalStep: Int
        public var lastLoss: Double?
        public var stoppedEarly: Bool
    }

    public func run() throws -> Summary {
        let data = try Dataset.open(options.data)
        let session = try TrainingSession(options: options, folder: folder, data: data)
        return try session.train(stop: stop, onEpochEnd: onEpochEnd)
    }
}

/// One run's live objects: model, optimizer, EMA, loaders, generator and logs.
final class TrainingSession {
    let options: TrainingOptions
    let folder: RunFolder
    let data: Dataset
    let model: UNet2DModel
    let card: ModelCard
    let parameters: [(key: String, tensor: Tensor)]
    /// The same tensors, listed once for the per-step clipping and EMA calls.
    let trainable: [Tensor]
    let optimizer: AdamW
    let ema: ExponentialMovingAverage?
    let schedule: CosineWarmupSchedule
    let noise: NoiseSchedule
    let generator: Generator
    let trainLoader: Loader
    let validation: Loader
    let log: RunLog
    var epoch: Int
    var batchInEpoch: Int
    var globalStep: Int

    init(options: TrainingOptions, folder: RunFolder, data: Dataset) throws {
        self.options = options
        self.folder = folder
        self.data = data
        let resumed = try Self.resumeState(options, folder)
        if resumed == nil, folder.hasCheckpoint, !options.overwrite {
            throw UsageError("\(folder.path) already holds a checkpoint (unet/); pass --resume to continue it or --overwrite to start again")
        }

        Engine.manualSeed(options.seed)
        var card = options.card
        card.segTypes = data.segTypes
        card.segmadiffVersion = SegMaDiffVersion.current
        card.cfgPUncond = options.guided && options.cfgPUncond > 0 ? options.cfgPUncond : nil
        if resumed != nil {
            let checkpoint = try UNetCheckpoint.load(from: folder.unet)
            model = checkpoint.model
            if let saved = checkpoint.card { card = saved }
        } else {
            model = UNet2DModel(config: options.unet, mdformer: card.mdformer)
        }
        self.card = card
        try Self.checkChannels(model.config, data: data, guided: options.guided, file: folder.unet.path)
        model.move(to: options.device)
        model.setRequiresGrad(true)
        parameters = model.namedParameters()
        trainable = parameters.map(\.tensor)
        var settings = AdamW.Settings()
        settings.learningRate = options.learningRate
        optimizer = AdamW(parameters, settings: settings)
        ema = options.emaDecay > 0 ? ExponentialMovingAverage(parameters, decay: options.emaDecay) : nil
        noise = NoiseSchedule()
        generator = Generator(seed: options.seed)

        let ablation = options.ablation ? MaskAblation(classes: options.data.segmentationClasses ?? 2) : nil
        let dropout = options.guided && options.cfgPUncond > 0 ? BlankMaskDropout(probability: options.cfgPUncond) : nil
        let trainOptions = LoaderOptions(batchSize: options.trainBatchSize, shuffle: true, seed: options.seed, ablation: ablation,
                                         blankDropout: dropout)
        trainLoader = Loader(data, split: .train, options: trainOptions)
        validation = Loader(data, split: .val, options: LoaderOptions(batchSize: options.evalBatchSize, shuffle: false, seed: options.seed))
        schedule = CosineWarmupSchedule(baseLearningRate: options.learningRate, warmupSteps: options.warmupSteps,
                                        totalSteps: trainLoader.batchesPerEpoch * options.epochs)
        (epoch, batchInEpoch, globalStep) = (0, 0, 0)
        log = try RunLog(folder: folder)

        if let (state, tensors) = resumed { try restore(state, tensors) }
        trainLoader.restore(LoaderState(epoch: epoch, batch: batchInEpoch, seed: options.seed))
        try writeRunRecord()
    }

    /// The saved state to continue from, when asked to resume.
    private static func resumeState(_ options: TrainingOptions, _ folder: RunFolder) throws -> (TrainingState, [String: Tensor])? {
        guard options.resume != .no else { return nil }
        guard folder.hasTrainingState else {
            throw UsageError("\(folder.trainingState.path) holds no training state to resume; run without --resume (and --resume_epoch) to start")
        }
        do {
            return try TrainingState.load(from: folder.trainingState)
        } catch let error as TrainingState.LoadError {
            throw UsageError(error.description)
        }
    }

    private func restore(_ state: TrainingState, _ tensors: [String: Tensor]) throws {
        func section(_ prefix: String) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: tensors.compactMap { key, value in
                key.hasPrefix(prefix) ? (String(key.dropFirst(prefix.count)), value) : nil
            })
        }
        do {
            if let ema {
                try model.load(stateDict: section("weights."))
                try ema.load(section("ema."))
            }
            try optimizer.load(state: section("optimizer."))
        } catch {
            throw UsageError("\(folder.trainingState.path) does not fit this model (\(error)); start again with --overwrite")
        }
        if let rng = tensors["rng.noise"] { generator.state = rng }
        (epoch, batchInEpoch, globalStep) = (state.epoch, state.batchInEpoch, state.globalStep)
        if case .epoch(let requested) = options.resume, requested != state.epoch {
            FileHandle.standardError.write(Data("segmadiff: note: the training state ends at epoch \(state.epoch); continuing at epoch \(requested) as --resume_epoch asks\n".utf8))
            (epoch, batchInEpoch) = (requested, 0)
        }
    }

    /// The model's input and output channels must match the data (a resumed or given config).
    static func checkChannels(_ config: UNetConfig, data: Dataset, guided: Bool, file: String) throws {
        let imageChannels = data.options.imageChannels
        let maskChannels = guided ? (data.maskEncoder?.maskChannels ?? 0) : 0
        guard config.inChannels == imageChannels + maskChannels, config.outChannels == imageChannels else {
            throw UsageError("\(file): the model takes \(config.inChannels) input and \(config.outChannels) output channels, but the data give \(imageChannels) image + \(maskChannels) mask channels; check --num_img_channels, --segmentation_channel_mode and --mask_encoding")
        }
    }

    // MARK: - the loop

    func train(stop: StopRequest, onEpochEnd: ((Int) -> Void)?) throws -> Trainer.Summary {
        var lastLoss: Double?
        while epoch < options.epochs {
            let bar = ProgressBar("epoch \(epoch + 1)/\(options.epochs)", total: trainLoader.batchesPerEpoch)
            var smoothed: Double?
            while let batch = try trainLoader.next() {
                let (loss, gradNorm, lr) = step(batch)
                lastLoss = loss
                smoothed = smoothed.map { 0.9 * $0 + 0.1 * loss } ?? loss
                log.scalars(["loss": loss, "lr": lr, "grad_norm": gradNorm], step: globalStep - 1)
                batchInEpoch = batch.index + 1
                bar.update(step: batchInEpoch, [("loss", String(format: "%.4f", smoothed!)), ("lr", String(format: "%.2e", lr))])
                if stop.isRequested && batchInEpoch < trainLoader.batchesPerEpoch {
                    bar.finish()
                    try saveCheckpoint()
                    log.line("stopped in epoch \(epoch + 1) after batch \(batchInEpoch); training state saved")
                    return Trainer.Summary(epochsDone: epoch, globalStep: globalStep, lastLoss: lastLoss, stoppedEarly: true)
                }
            }
            bar.finish()
            log.line(String(format: "epoch %d/%d  loss %.5f  step %d", epoch + 1, options.epochs, smoothed ?? .nan, globalStep))
            let finished = epoch
            epoch += 1
            batchInEpoch = 0
            let last = finished == options.epochs - 1
            if (finished + 1) % options.saveImageEpochs == 0 || last { try writeSampleGrid(epoch: finished) }
            let stopping = stop.isRequested
            if (finished + 1) % options.saveModelEpochs == 0 || last || stopping { try saveCheckpoint() }
            onEpochEnd?(finished)
            if stop.isRequested {
                log.line("stopped after epoch \(finished + 1); training state saved")
                return Trainer.Summary(epochsDone: epoch, globalStep: globalStep, lastLoss: lastLoss, stoppedEarly: true)
            }
        }
        return Trainer.Summary(epochsDone: epoch, globalStep: globalStep, lastLoss: lastLoss, stoppedEarly: false)
    }

    /// One optimizer step; returns the loss, the gradient norm before clipping and the rate used.
    private func step(_ batch: Batch) -> (loss: Double, gradNorm: Double, lr: Double) {
        let device = options.device
        let x0 = batch.images!.to(device)
        let epsilon = Tensor.randn(x0.shape, generator: generator).to(device)
        let t = Tensor.randint(0, noise.trainTimesteps, [batch.count], generator: generator).to(device)
        let noisy = noise.addNoise(to: x0, noise: epsilon, timesteps: t)
        let input = options.guided ? Tensor.cat([noisy, batch.masks!.to(device)], dim: 1) : noisy
        if options.bf16 { Engine.setAutocast(true, device: device) }
        let predicted = model(input, timesteps: t)
        if options.bf16 { Engine.setAutocast(false, device: device) }
        let loss = predicted.to(.float32).mseLoss(epsilon)
        loss.backward()
        let norm = clipGradNorm(trainable, maxNorm: 1.0)
        let lr = schedule.learningRate(atStep: globalStep)
        optimizer.step(learningRate: lr)
        optimizer.zeroGrad()
        if options.bf16 { Engine.clearAutocastCache() }
        ema?.update(trainable)
        globalStep += 1
        return (loss.item, norm.item, lr)
    }

    // MARK: - outputs

    /// The published checkpoint (EMA weights when on) in the seed's layout, then the training state.
    func saveCheckpoint() throws {
        try withPublishedWeights {
            try UNetCheckpoint.save(model, card: card, to: folder.unet)
        }
        try SchedulerConfig(kind: options.modelType).save(toDirectory: folder.scheduler.path)
        try folder.writeModelIndex(guided: options.guided, ddim: options.modelType == .ddim)
        var tensors: [String: Tensor] = ["rng.noise": generator.state]
        for (key, value) in optimizer.state() { tensors["optimizer." + key] = value }
        if let ema {
            for (key, value) in ema.stateDict { tensors["ema." + key] = value }
            for (key, value) in model.stateDict() { tensors["weights." + key] = value.detached() }
        }
        let state = TrainingState(epoch: epoch, batchInEpoch: batchInEpoch, globalStep: globalStep,
                                  seed: options.seed, segmadiffVersion: SegMaDiffVersion.current)
        try state.save(tensors: tensors, in: folder.trainingState)
    }

    /// Runs `body` with the EMA weights in the model (if any), then puts the raw ones back.
    private func withPublishedWeights<T>(_ body: () throws -> T) throws -> T {
        guard let ema else { return try body() }
        let raw = withNoGrad { model.stateDict().mapValues { $0.detached().clone() } }
        try model.load(stateDict: ema.stateDict)
        defer { try? model.load(stateDict: raw) }
        return try body()
    }

    /// samples/{epoch:04d}.png, and for guided models the masks and the real images beside it.
    private func writeSampleGrid(epoch: Int) throws {
        try FileManager.default.createDirectory(at: folder.samples, withIntermediateDirectories: true)
        let batch = try nextValidationBatch()
        let name = String(format: "%04d", epoch)
        let sampler = options.sampler
        let images = try withPublishedWeights { () -> Tensor in
            let run = GuidedSampler(scheduler: sampler.makeScheduler()) { [model] input, t in model(input, timesteps: t) }
            let conditioning: Conditioning = options.guided
                ? .fixed(batch.masks!.to(options.device))
                : .none(batchSize: batch.count, height: data.options.imageSize, width: data.options.imageSize)
            return try run.sample(conditioning: conditioning, imageChannels: data.options.imageChannels,
                                  steps: options.inferenceSteps ?? sampler.defaultSteps,
                                  generator: Generator(seed: options.seed &+ UInt64(epoch)), device: options.device).images
        }
        let grid = try SampleGrid.write(ImageOutput.unitRange(images), to: folder.samples.appendingPathComponent("\(name).png"))
        log.image("samples", grid: grid, step: globalStep)
        if options.guided, let labels = batch.labels {
            for (index, type) in data.segTypes.enumerated() where index < labels.shape[1] {
                let plane = labels.narrowed(dim: 1, start: index, length: 1).to(.float32)
                try SampleGrid.write(SampleGrid.minMaxNormalised(plane), to: folder.samples.appendingPathComponent("\(name)_cond_seg_\(type).png"))
            }
            if let real = batch.images {
                try SampleGrid.write(SampleGrid.minMaxNormalised(real), to: folder.samples.appendingPathComponent("\(name)_orig.png"))
            }
        }
    }

    /// The validation split cycles, so grids never run out of masks (SPEC 9 #17).
    private func nextValidationBatch() throws -> Batch {
        if let batch = try validation.next() { return batch }
        guard let batch = try validation.next() else {
            throw UsageError("the val split is empty; put images (and masks) in val/")
        }
        return batch
    }

    private func writeRunRecord() throws {
        let record: [String: Any] = [
            "segmadiff_version": SegMaDiffVersion.current,
            "libtorch_version": Engine.libtorchVersion,
            "started": ISO8601DateFormatter().string(from: Date()),
            "command_line": options.commandLine,
            "seed": options.seed,
            "device": options.device.description,
            "resumed_at": ["epoch": epoch, "batch_in_epoch": batchInEpoch, "global_step": globalStep],
        ]
        try writeJSON(record, to: folder.runRecord)
    }
}
