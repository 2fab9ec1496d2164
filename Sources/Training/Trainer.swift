import Datasets
import Diffusion
import Foundation
import ModelCard
import Models
import Torch

/// The training loop of docs/python-reference.md §6 with segmadiff's fixes: seeded, exactly resumable, atomic
/// checkpoints with the full training state, per-sample mask ablation, optional EMA and bf16.
///
/// One step: x0, ε ~ N(0, I), t ~ U{0..999} → x_t = add_noise(x0, ε, t) → ε̂ = unet(concat(x_t, mask), t)
/// → MSE(ε̂, ε) → backward → clip at 1.0 → AdamW at the cosine-warm-up rate → EMA.
///
/// Data parallel (one process per device, `group` given): each batch is per-process batch size x
/// world size samples, of which each rank takes its part; the noise and timesteps are drawn for the
/// whole batch from the shared generator and each rank keeps its rows, so the ranks together take
/// the step one process would take on the whole batch. Gradients are averaged in buckets while
/// backward runs (`GradientSync`); rank 0 alone writes logs, grids and checkpoints.
public final class Trainer {
    public let options: TrainingOptions
    public let folder: RunFolder
    public let stop: StopRequest
    public let group: ProcessGroup?
    /// Called after each finished epoch (0-based), after its grid and checkpoint.
    public var onEpochEnd: ((Int) -> Void)?

    public init(_ options: TrainingOptions, stop: StopRequest = StopRequest(), group: ProcessGroup? = nil) {
        self.options = options
        self.folder = RunFolder(options.outputDirectory)
        self.stop = stop
        self.group = group.flatMap { $0.worldSize > 1 ? $0 : nil }
    }

    public struct Summary: Sendable {
        public var epochsDone: Int
        public var globalStep: Int
        public var lastLoss: Double?
        public var stoppedEarly: Bool
        /// The intra-op team size the loop's ops ran with (read inside the first step).
        public var loopThreads: Int?
    }

    public func run() throws -> Summary {
        // The session locks the folder (rank 0); it is free again once this run is over.
        // The card says which neighbouring slices the model sees; the data follow it.
        var dataOptions = options.data
        dataOptions.conditioning = options.guided ? SliceConditioning(card: options.card) : .none
        let data = try Dataset.open(dataOptions)
        let session = try TrainingSession(options: options, folder: folder, data: data, group: group)
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
    /// Rank 0's (or the only process's); nil on the other ranks, which write nothing.
    let log: RunLog?
    let group: ProcessGroup?
    let gradientSync: GradientSync?
    /// Rank 0's hold on the run folder, for as long as the session lives.
    let lock: RunLock?
    var epoch: Int
    var batchInEpoch: Int
    var globalStep: Int
    /// Data parallel: the stop request as all ranks agreed on it at the last step.
    var agreedStop = false
    /// The calling thread's intra-op team size, read inside the first step of this process.
    var loopThreads: Int?
    /// Ctrl-C and SIGTERM, as `train` was given them.
    private var stop = StopRequest()
    /// `--val_every_epochs`: the best validation value so far (rank 0's; from best.json on resume).
    var best: BestCheckpoint?

    var isMain: Bool { group?.isMain ?? true }
    var worldSize: Int { group?.worldSize ?? 1 }

    init(options: TrainingOptions, folder: RunFolder, data: Dataset, group: ProcessGroup? = nil) throws {
        self.options = options
        self.folder = folder
        self.data = data
        self.group = group
        // Rank 0 alone writes into the folder: it locks it and clears what a crash left there.
        lock = group?.isMain ?? true ? try CheckpointLayout.takeOver(folder) : nil
        let resumed = try Self.resumeState(options, folder)
        if resumed == nil, folder.hasCheckpoint, !options.overwrite {
            throw UsageError("\(folder.path) already holds a checkpoint (unet/); pass --resume to continue it or --overwrite to start again")
        }

        Engine.manualSeed(options.seed)
        var card = options.card
        card.segTypes = data.segTypes
        card.segmadiffVersion = SegMaDiffVersion.current
        if resumed != nil {
            let checkpoint = try UNetCheckpoint.load(from: folder.unet)
            model = checkpoint.model
            // The saved card is the run's meaning (the command line refuses flags that contradict it).
            if let saved = checkpoint.card { card = saved }
        } else {
            model = UNet2DModel(config: options.unet, mdformer: card.mdformer)
        }
        self.card = card
        try Self.checkChannels(model.config, data: data, guided: options.guided, file: folder.unet.path)
        model.move(to: options.device)
        if case .cuda = options.device {
            // Channels-last convolutions (cuDNN's fast layout); inputs follow in `step`.
            model.mapParameters { $0.rank == 4 ? $0.contiguous(.channelsLast) : $0 }
        }
        model.setRequiresGrad(true)
        parameters = model.namedParameters()
        trainable = parameters.map(\.tensor)
        let memory = try Self.checkMemory(options, model: model, card: card)
        if let group {
            // All ranks start from rank 0's weights (the same seed gives them anyway; a resumed run
            // reads the same files): broadcasting makes it so whatever happened before.
            try group.broadcast(trainable, from: 0)
            gradientSync = try GradientSync(trainable, group: group, bucketBytes: options.gradientBucketBytes)
        } else {
            gradientSync = nil
        }
        var settings = AdamW.Settings()
        settings.learningRate = options.learningRate
        optimizer = AdamW(parameters, settings: settings)
        ema = options.emaDecay > 0 ? ExponentialMovingAverage(parameters, decay: options.emaDecay) : nil
        noise = options.spec.noise
        generator = Generator(seed: options.seed)

        let ablation = options.ablation ? MaskAblation(classes: options.data.segmentationClasses ?? 2) : nil
        let dropout = options.guided && options.cfgPUncond > 0 ? BlankMaskDropout(probability: options.cfgPUncond) : nil
        let shard = group.map { Shard(rank: $0.rank, count: $0.worldSize) }
        let trainOptions = LoaderOptions(batchSize: options.trainBatchSize, shuffle: true, seed: options.seed, ablation: ablation,
                                         blankDropout: dropout, shard: shard)
        trainLoader = Loader(data, split: .train, options: trainOptions)
        validation = Loader(data, split: .val, options: LoaderOptions(batchSize: options.evalBatchSize, shuffle: false, seed: options.seed))
        schedule = CosineWarmupSchedule(baseLearningRate: options.learningRate, warmupSteps: options.warmupSteps,
                                        totalSteps: trainLoader.batchesPerEpoch * options.epochs)
        (epoch, batchInEpoch, globalStep) = (0, 0, 0)
        if resumed == nil, lock != nil { try EarlierRunLogs.setAside(in: folder) }
        log = group?.isMain ?? true ? try RunLog(folder: folder) : nil

        if let (state, tensors) = resumed { try restore(state, tensors) }
        if lock != nil { try recallBest(resumed: resumed != nil) }
        trainLoader.restore(LoaderState(epoch: epoch, batch: batchInEpoch, seed: options.seed))
        if let memory { log?.line("memory: this run needs \(memory)") }
        if isMain { try writeRunRecord() }
        if let group, let gradientSync {
            log?.line(String(format: "data parallel: %d processes x %d samples per step, gradients all-reduced in %d buckets of up to %.3g MiB", group.worldSize, options.trainBatchSize, gradientSync.bucketCount, Double(options.gradientBucketBytes) / 1_048_576))
        }
    }

    /// Samples in one optimizer step, over all ranks.
    var globalBatchSize: Int { options.trainBatchSize * worldSize }

    /// The saved state to continue from, when asked to resume.
    private static func resumeState(_ options: TrainingOptions, _ folder: RunFolder) throws -> (TrainingState, [String: Tensor])? {
        guard options.resume != .no else { return nil }
        guard folder.hasTrainingState else {
            throw UsageError("\(folder.trainingState.path) holds no training state to resume; run without --resume (and --resume_epoch) to start")
        }
        let loaded: (TrainingState, [String: Tensor])
        do {
            loaded = try TrainingState.load(from: folder.trainingState)
        } catch let error as TrainingState.LoadError {
            throw UsageError(error.description)
        }
        // Weights and optimizer state of different steps must never be continued together (cards
        // written before checkpoints recorded their step are taken as they are).
        let cardURL = folder.unet.appendingPathComponent(ModelCard.fileName)
        if let saved = try? ModelCard.read(from: cardURL), let step = saved.globalStep, step != loaded.0.globalStep {
            let record = folder.trainingState.appendingPathComponent(TrainingState.recordName)
            throw UsageError("\(cardURL.resolvingSymlinksInPath().path) is from step \(step), but \(record.resolvingSymlinksInPath().path) from step \(loaded.0.globalStep): the checkpoint's parts disagree; start again with --overwrite")
        }
        return loaded
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
        if let saved = state.globalBatchSize, saved != globalBatchSize, state.batchInEpoch > 0 {
            let was = state.worldSize.map { "\($0) processes x \(saved / Swift.max(1, $0))" } ?? "\(saved)"
            throw UsageError("\(folder.trainingState.path) stopped in the middle of epoch \(state.epoch + 1) with batches of \(saved) samples (\(was)), but this run makes batches of \(globalBatchSize) (\(worldSize) process\(worldSize == 1 ? "" : "es") x --train_batch_size \(options.trainBatchSize)); resume with the same product, or from a checkpoint saved at the end of an epoch")
        }
        (epoch, batchInEpoch, globalStep) = (state.epoch, state.batchInEpoch, state.globalStep)
        if case .epoch(let requested) = options.resume, requested != state.epoch {
            FileHandle.standardError.write(Data("segmadiff: note: the training state ends at epoch \(state.epoch); continuing at epoch \(requested) as --resume_epoch asks\n".utf8))
            (epoch, batchInEpoch) = (requested, 0)
        }
    }

    /// Refuses a run on the CPU whose estimated peak exceeds the memory the machine has left, before
    /// the first step allocates it; returns the estimate.
    static func checkMemory(_ options: TrainingOptions, model: UNet2DModel, card: ModelCard) throws -> MemoryEstimate? {
        guard case .cpu = options.device else { return nil }
        let estimate = MemoryEstimate(config: model.config, mdformer: card.mdformer, parameters: model.parameterCount,
                                      batchSize: options.trainBatchSize, ema: options.emaDecay > 0, bf16: options.bf16)
        // Twice the available memory: the estimate is close for U-Nets of 4-6 levels but counts
        // shallow ones at high resolution several times too high, and a run that passes and still
        // does not fit ends with libtorch's out-of-memory line.
        if let available = MemoryEstimate.available(), estimate.totalBytes > 2 * available {
            throw UsageError("this run needs \(estimate) for batches of \(options.trainBatchSize) at \(model.config.sampleSize ?? 0) px, but only \(MemoryEstimate.gigabytes(available)) are available; try a smaller --train_batch_size or --img_size")
        }
        return estimate
    }

    /// The model's input and output channels must match the data (a resumed or given config).
    static func checkChannels(_ config: UNetConfig, data: Dataset, guided: Bool, file: String) throws {
        let imageChannels = data.options.imageChannels
        let maskChannels = guided ? (data.maskEncoder.map { data.options.conditioning.channels(encoder: $0, imageChannels: imageChannels) } ?? 0) : 0
        guard config.inChannels == imageChannels + maskChannels, config.outChannels == imageChannels else {
            throw UsageError("\(file): the model takes \(config.inChannels) input and \(config.outChannels) output channels, but the data give \(imageChannels) image + \(maskChannels) mask channels; check --num_img_channels, --segmentation_channel_mode, --mask_encoding, --context_slices and --condition_on_previous_slice")
        }
    }

    // MARK: - the loop

    func train(stop: StopRequest, onEpochEnd: ((Int) -> Void)?) throws -> Trainer.Summary {
        self.stop = stop
        var lastLoss: Double?
        while epoch < options.epochs {
            let bar = isMain ? ProgressBar("epoch \(epoch + 1)/\(options.epochs)", total: trainLoader.batchesPerEpoch) : nil
            var smoothed: Double?
            var lastGradNorm = Double.nan
            while let batch = try trainLoader.next() {
                let (loss, gradNorm, lr) = try step(batch)
                guard loss.isFinite else { throw nonFiniteLoss(loss, batch: batch, learningRate: lr) }
                lastLoss = loss
                lastGradNorm = gradNorm
                smoothed = smoothed.map { 0.9 * $0 + 0.1 * loss } ?? loss
                log?.scalars(["loss": loss, "lr": lr, "grad_norm": gradNorm], step: globalStep - 1)
                batchInEpoch = batch.index + 1
                bar?.update(step: batchInEpoch, [("loss", String(format: "%.4f", smoothed!)), ("lr", String(format: "%.2e", lr))])
                if stopRequested && batchInEpoch < trainLoader.batchesPerEpoch {
                    bar?.finish()
                    try saveCheckpoint()
                    log?.line("stopped in epoch \(epoch + 1) after batch \(batchInEpoch); training state saved")
                    return Trainer.Summary(epochsDone: epoch, globalStep: globalStep, lastLoss: lastLoss, stoppedEarly: true, loopThreads: loopThreads)
                }
            }
            bar?.finish()
            log?.line(String(format: "epoch %d/%d  loss %.5f  step %d  grad_norm %.5g", epoch + 1, options.epochs, smoothed ?? .nan, globalStep, lastGradNorm))
            let finished = epoch
            epoch += 1
            batchInEpoch = 0
            let last = finished == options.epochs - 1
            if (finished + 1) % options.saveImageEpochs == 0 || last { try writeSampleGrid(epoch: finished) }
            let stopping = stopRequested
            let newBest = try validateIfDue(epoch: finished, last: last)
            if (finished + 1) % options.saveModelEpochs == 0 || last || stopping || newBest != nil { try saveCheckpoint() }
            if let newBest { try keepAsBest(newBest, epoch: finished) }
            onEpochEnd?(finished)
            if stopping {
                log?.line("stopped after epoch \(finished + 1); training state saved")
                return Trainer.Summary(epochsDone: epoch, globalStep: globalStep, lastLoss: lastLoss, stoppedEarly: true, loopThreads: loopThreads)
            }
        }
        return Trainer.Summary(epochsDone: epoch, globalStep: globalStep, lastLoss: lastLoss, stoppedEarly: false, loopThreads: loopThreads)
    }

    /// A NaN or infinite loss: the weights the step produced are garbage, so the run stops before
    /// any of it reaches a checkpoint (the last one stays as it was).
    private func nonFiniteLoss(_ loss: Double, batch: Batch, learningRate: Double) -> UsageError {
        let files = batch.names.prefix(4).joined(separator: ", ") + (batch.count > 4 ? ", ..." : "")
        let kept = folder.hasCheckpoint ? "the last checkpoint in \(folder.path) is kept" : "nothing was saved"
        return UsageError(String(format: "the loss became %@ at step %d (epoch %d, batch %@; learning rate %.3g); %@: lower --learning_rate, use --lr_warmup_steps, or check those images for NaN or extreme values",
                                 loss.isNaN ? "NaN" : "infinite", globalStep, epoch + 1, files, learningRate, kept))
    }

    /// Ctrl-C or SIGTERM: in one process, as soon as it is seen; with several, once all ranks have
    /// agreed (at the step's all-reduce) so that they stop after the same step.
    private var stopRequested: Bool { group == nil ? stop.isRequested : agreedStop }

    /// One optimizer step; returns the loss, the gradient norm before clipping and the rate used.
    private func step(_ batch: Batch) throws -> (loss: Double, gradNorm: Double, lr: Double) {
        if loopThreads == nil { recordLoopThreads() }
        let lossValue = try forwardBackward(batch)
        let clip = GradientClip(trainable, maxNorm: 1.0)
        let lr = schedule.learningRate(atStep: globalStep)
        optimizer.step(learningRate: lr, clip: clip)
        optimizer.zeroGrad()
        if options.bf16 { Engine.clearAutocastCache() }
        ema?.update(trainable)
        globalStep += 1
        return (lossValue, clip.norm.item, lr)
    }

    /// The team size the step's ops get, in train.log; a loop on fewer threads than configured
    /// (something on this thread lowered its OpenMP team) would lose most of the CPU's speed.
    private func recordLoopThreads() {
        let threads = Engine.threads
        loopThreads = threads
        let configured = Engine.configuredThreads ?? threads
        log?.line("intra-op threads in the training loop: \(threads) of \(configured)")
        if threads < configured {
            FileHandle.standardError.write(Data("segmadiff: warning: the training loop runs its ops on \(threads) of \(configured) threads\n".utf8))
        }
    }

    /// The diffusion loss of one batch (or one rank's part of it).
    func forward(_ x0: Tensor, epsilon: Tensor, t: Tensor, masks: Tensor?) -> Tensor {
        let device = options.device
        let noisy = noise.addNoise(to: x0, noise: epsilon, timesteps: t)
        var input = options.guided ? Tensor.cat([noisy, masks!.to(device)], dim: 1) : noisy
        if case .cuda = device { input = input.contiguous(.channelsLast) }
        if options.bf16 { Engine.setAutocast(true, device: device) }
        let predicted = model(input, timesteps: t)
        if options.bf16 { Engine.setAutocast(false, device: device) }
        let target = options.prediction.target(x0: x0, noise: epsilon, timesteps: t, schedule: noise)
        return predicted.to(.float32).mseLoss(target.to(.float32))
    }

    /// This process's part of a step, up to gradients averaged over all processes; returns the
    /// loss of the whole batch. One process is the one-rank case: its part is the whole batch.
    /// The noise and timesteps of the whole batch are drawn on every rank (the generators stay
    /// equal) and each keeps its rows. Each rank's loss is a mean over its part; weighting it by
    /// part size x world / batch size makes the average of the ranks' gradients that of the mean
    /// over the whole batch, uneven last batches included.
    private func forwardBackward(_ batch: Batch) throws -> Double {
        let device = options.device
        let total = batch.globalCount, count = batch.count
        let imageShape = [options.data.imageChannels, data.options.imageSize, data.options.imageSize]
        let allNoise = Tensor.randn([total] + imageShape, generator: generator)
        let allTimesteps = Tensor.randint(0, noise.trainTimesteps, [total], generator: generator)
        func rows(_ tensor: Tensor) -> Tensor {
            (count == total ? tensor : tensor.narrowed(dim: 0, start: batch.globalOffset, length: count)).to(device)
        }
        var localLoss = 0.0
        if count > 0 {
            let loss = forward(batch.images!.to(device), epsilon: rows(allNoise), t: rows(allTimesteps), masks: batch.masks)
            let weight = Double(count * worldSize) / Double(total)
            (weight == 1 ? loss : loss * weight).backward()
            localLoss = loss.item
        }
        guard let gradientSync, let group else { return localLoss }
        try gradientSync.finish()
        // One small all-reduce gives the whole batch's loss and whether any rank was asked to stop.
        let shared = Tensor([localLoss * Double(count) / Double(total), stop.isRequested ? 1 : 0], shape: [2])
        try group.allReduceSum(shared)
        let values = shared.scalars(as: Double.self)
        agreedStop = values[1] > 0
        return values[0]
    }

    // MARK: - outputs

    /// The published checkpoint (EMA weights when on) in the seed's layout and the training state,
    /// committed as one (CheckpointWriter); each part records the step.
    func saveCheckpoint() throws {
        try checkRanksAgree()
        guard isMain else { return }
        try CheckpointWriter(folder: folder, keep: options.keepCheckpoints).write(step: globalStep) { part, fileWritten in
            var stamped = card
            stamped.globalStep = globalStep
            try withPublishedWeights {
                try UNetCheckpoint.save(model, card: stamped, to: part.unet, afterEachFile: fileWritten)
            }
            try options.spec.scheduler.save(toDirectory: part.scheduler.path)
            fileWritten()
            try part.writeModelIndex(guided: options.guided, ddim: options.modelType == .ddim)
            fileWritten()
            var tensors: [String: Tensor] = ["rng.noise": generator.state]
            for (key, value) in optimizer.state() { tensors["optimizer." + key] = value }
            if let ema {
                for (key, value) in ema.stateDict { tensors["ema." + key] = value }
                for (key, value) in model.stateDict() { tensors["weights." + key] = value.detached() }
            }
            var state = TrainingState(epoch: epoch, batchInEpoch: batchInEpoch, globalStep: globalStep,
                                      seed: options.seed, segmadiffVersion: SegMaDiffVersion.current)
            state.worldSize = worldSize
            state.globalBatchSize = globalBatchSize
            try state.save(tensors: tensors, in: part.trainingState, afterEachFile: fileWritten)
        }
    }

    /// Data parallel: the ranks must hold the same weights (they take the same steps on the same
    /// averaged gradients); a checksum of each rank's weights is compared at every checkpoint, so a
    /// divergence stops the run instead of silently saving one rank's model.
    private func checkRanksAgree() throws {
        guard let group else { return }
        let checksum = withNoGrad { () -> [Double] in
            let perTensor = trainable.map { weights -> Tensor in
                let wide = weights.to(.float64)
                return Tensor.stack([wide.sum(), wide.squared().sum()])
            }
            return Tensor.stack(perTensor).sum(dims: [0]).scalars(as: Double.self)
        }
        var table = [Double](repeating: 0, count: 2 * group.worldSize)
        table[2 * group.rank] = checksum[0]
        table[2 * group.rank + 1] = checksum[1]
        let all = Tensor(table, shape: [group.worldSize, 2])
        try group.allReduceSum(all)
        let rows = all.scalars(as: Double.self)
        let differing = (0..<group.worldSize).filter { rows[2 * $0] != checksum[0] || rows[2 * $0 + 1] != checksum[1] }
        guard differing.isEmpty else {
            throw DistributedError("rank \(group.rank): the weights of ranks \(differing.map(String.init).joined(separator: ", ")) differ from this rank's at step \(globalStep); the processes must run the same segmadiff, libtorch and flags")
        }
        log?.line(String(format: "step %d: the weights of all %d ranks agree (checksum %.17g)", globalStep, group.worldSize, checksum[0]))
    }

    /// Runs `body` with the EMA weights in the model (if any), then puts the raw ones back.
    func withPublishedWeights<T>(_ body: () throws -> T) throws -> T {
        guard let ema else { return try body() }
        let raw = withNoGrad { model.stateDict().mapValues { $0.detached().clone() } }
        try model.load(stateDict: ema.stateDict)
        defer { try? model.load(stateDict: raw) }
        return try body()
    }

    /// samples/{epoch:04d}.png, and for guided models the masks and the real images beside it.
    /// With several ranks, all sample the grid (so none waits on rank 0 longer than a collective's
    /// timeout) and rank 0 writes it.
    private func writeSampleGrid(epoch: Int) throws {
        let batch = try nextValidationBatch()
        let name = String(format: "%04d", epoch)
        let sampler = options.sampler
        let images = try withPublishedWeights { () -> Tensor in
            let run = GuidedSampler(scheduler: try options.spec.makeScheduler(sampler), prediction: options.prediction) { [model] input, t in
                model(input, timesteps: t)
            }
            let conditioning: Conditioning = options.guided
                ? .fixed(batch.masks!.to(options.device))
                : .none(batchSize: batch.count, height: data.options.imageSize, width: data.options.imageSize)
            return try run.sample(conditioning: conditioning, imageChannels: data.options.imageChannels,
                                  steps: options.inferenceSteps ?? sampler.defaultSteps,
                                  generator: Generator(seed: options.seed &+ UInt64(epoch)), device: options.device).images
        }
        guard let log else { return }
        try FileManager.default.createDirectory(at: folder.samples, withIntermediateDirectories: true)
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

    /// The validation split cycles, so grids never run out of masks (docs/python-reference.md §9 #17).
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
            "world_size": worldSize,
            "resumed_at": ["epoch": epoch, "batch_in_epoch": batchInEpoch, "global_step": globalStep],
        ]
        try writeJSON(record, to: folder.runRecord)
    }
}
