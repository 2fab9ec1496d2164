import Datasets
import Diffusion
import Evaluation
import Foundation
import ModelCard
import Models
import Torch
import Training

/// Carries out `--mode` with the parsed flags.
struct ModeRunner {
    let options: RunOptions

    /// `maskFolder`: eval_many from a folder of masks (`segmadiff sample --masks`).
    func run(maskFolder: String? = nil) throws {
        let distributed = try startProcess()
        switch options.mode {
        case .train: try train(distributed)
        case .eval: try evaluate(distributed)
        case .evalMany:
            if options.translate {
                throw UsageError("--translate works with --mode eval; to translate a folder of images use `segmadiff translate --images DIR --masks DIR`")
            }
            try sampleMany(maskFolder: maskFolder, distributed)
        }
    }

    /// Reads the launcher's environment, if any, and sets the thread count: processes on one
    /// machine share its cores.
    private func startProcess() throws -> DistributedEnvironment? {
        let distributed = try DistributedEnvironment.current()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        Engine.threads = options.threads ?? max(1, cores / (distributed?.localWorldSize ?? 1))
        return distributed
    }

    /// The device of this process: with several, GPU LOCAL_RANK or the CPU.
    func device(_ distributed: DistributedEnvironment?) throws -> Device {
        let resolved = try options.device.resolved()
        return distributed?.device(resolved) ?? resolved
    }

    func train(_ distributed: DistributedEnvironment?) throws {
        let device = try device(distributed)
        guard let imgDir = options.imgDir else {
            throw UsageError("--mode train needs --img_dir (the image folder with train/ and val/)")
        }
        let resume: TrainingOptions.Resume = options.resumeEpoch.map { .epoch($0) } ?? (options.resume ? .latest : .no)
        let spec = try trainingSpec(resuming: resume != .no)
        let guided = spec.guided
        if guided, options.segDir == nil {
            throw UsageError("this run conditions on masks; pass --seg_dir (the mask folder with <seg type>/{train,val}/)")
        }
        let data = DatasetOptions(
            imageDirectory: imgDir, maskDirectory: guided ? options.segDir : nil, splits: [.train, .val],
            imageChannels: spec.card.numImageChannels, segmentationClasses: guided ? spec.card.numSegmentationClasses : nil,
            imageSize: spec.unet.sampleSize ?? options.imgSize, normalization: spec.card.normalization,
            maskEncoding: spec.card.maskEncoding, channelMode: spec.card.segmentationChannelMode)
        var training = TrainingOptions(outputDirectory: options.resolvedOutputDir, data: data, spec: spec,
                                       commandLine: CommandLine.arguments)
        training.ablation = options.useAblatedSegmentations
        training.sampler = options.sampler ?? SamplerChoice(spec.scheduler.kind)
        training.inferenceSteps = options.numInferenceSteps
        training.trainBatchSize = options.trainBatchSize
        training.evalBatchSize = options.evalBatchSize
        training.epochs = options.numEpochs
        training.learningRate = options.learningRate
        training.warmupSteps = options.lrWarmupSteps
        training.saveImageEpochs = options.saveImageEpochs
        training.saveModelEpochs = options.saveModelEpochs
        training.emaDecay = options.emaDecay
        training.bf16 = options.mixedPrecision == .bf16
        training.device = device
        training.seed = options.seed
        training.resume = resume
        training.overwrite = options.overwrite
        training.gradientBucketBytes = Int(options.distBucketMB * 1_048_576)
        training.keepCheckpoints = options.keepCheckpoints
        training.validateEveryEpochs = options.valEveryEpochs
        if let path = options.valSegmenter {
            training.validationScorer = try ValidationScorer.segmenter(at: path, spec: spec, sampleCount: options.valSamples, device: device)
        }
        training.bestMetric = options.bestMetric ?? (options.valSegmenter == nil ? .loss : .dice)
        let isMain = (distributed?.rank ?? 0) == 0
        if isMain, training.bf16, device == .cpu, !Self.cpuHasNativeBF16 {
            FileHandle.standardError.write(Data("segmadiff: note: this CPU has no native bf16 (avx512_bf16 or amx_bf16), so --mixed_precision bf16 will be slower than fp32 here\n".utf8))
        }
        let group = try distributed?.join(device: device, timeout: options.distTimeout)
        let stop = StopRequest()
        stop.install()
        let summary = try Trainer(training, stop: stop, group: group).run()
        guard isMain else { return }
        let folder = RunFolder(training.outputDirectory)
        let processes = group.map { " on \($0.worldSize) processes" } ?? ""
        print("segmadiff: \(summary.stoppedEarly ? "stopped" : "trained") \(summary.epochsDone) epochs (\(summary.globalStep) steps\(processes)); checkpoint in \(folder.unet.path), samples in \(folder.samples.path), logs in \(folder.logs.path)")
    }

    /// The run's description: on resume the saved one (a flag that contradicts it is an error),
    /// else the flags with the defaults and the mask folder's seg types.
    func trainingSpec(resuming: Bool) throws -> RunSpec {
        let request = options.specRequest
        let folder = RunFolder(options.resolvedOutputDir)
        if resuming, folder.hasCheckpoint {
            let saved = try RunSpec.saved(in: folder, request: request)
            try saved.requireAgreement(request, segTypes: saved.guided ? segTypeNames() : nil, source: folder, resuming: true)
            return saved
        }
        if let p = request.cfgPUncond, p > 0, request.guided != true {
            throw UsageError("--cfg_p_uncond \(p) blanks masks, but this model is not --segmentation_guided; add --segmentation_guided or drop --cfg_p_uncond")
        }
        if request.guided != true, (request.contextSlices ?? 0) > 0 || request.previousSlice == true {
            let flag = (request.contextSlices ?? 0) > 0 ? "--context_slices" : "--condition_on_previous_slice"
            throw UsageError("\(flag) conditions on neighbouring slices, but this model is not --segmentation_guided; add --segmentation_guided or drop \(flag)")
        }
        if let sigma = request.previousSliceNoise, sigma > 0, request.previousSlice != true {
            throw UsageError("--previous_slice_noise \(sigma) spoils the previous slice, but this model does not take one; add --condition_on_previous_slice or drop --previous_slice_noise")
        }
        try options.checkImageSizeFitsLevels()
        return RunSpec.fresh(request, segTypes: segTypeNames())
    }

    /// What the eval modes are told. The model comes from --checkpoint_dir (default --output_dir,
    /// whose default is the seed's name without its `-ablated` for eval flags, docs/python-reference.md §9 #20).
    func evaluationOptions(maskFolder: String?, device: Device, translationImages: String? = nil) throws -> EvaluationOptions {
        // Sampling may use another scheduler class than the saved one (--model_type picks the
        // sampler), and the blank-mask dropout only concerns training.
        var request = options.specRequest
        request.schedulerKind = nil
        request.cfgPUncond = nil
        return EvaluationOptions(
            checkpointDirectory: options.checkpointDir ?? options.resolvedOutputDir, outputDirectory: options.resolvedOutputDir,
            imageDirectory: options.imgDir, maskDirectory: options.segDir, maskFolder: maskFolder,
            request: request, imageSize: options.imgSize,
            evalBatchSize: options.evalBatchSize, sampleCount: options.evalSampleSize, sampler: options.sampler,
            fallbackSampler: SamplerChoice(options.modelType == .ddim ? .ddim : .ddpm), inferenceSteps: options.numInferenceSteps,
            seed: options.seed, device: device, ablation: options.useAblatedSegmentations, blankMask: options.evalBlankMask,
            maskRemoval: options.evalMaskRemoval, guidanceScale: options.guidanceScale, guidanceDetailScale: options.guidanceDetailScale,
            guidanceRescale: options.guidanceRescale, useClippedModelOutput: options.useClippedModelOutput,
            translationStrength: options.translate || translationImages != nil ? options.transNoiseLevel : nil,
            translationImages: translationImages, commandLine: CommandLine.arguments)
    }

    /// The grids of --mode eval are one batch: with several processes, rank 0 makes them alone.
    func evaluate(_ distributed: DistributedEnvironment?) throws {
        guard (distributed?.rank ?? 0) == 0 else { return }
        let files = try GenerationEvaluation.run(try evaluationOptions(maskFolder: nil, device: device(distributed)))
        let folder = RunFolder(options.resolvedOutputDir)
        let names = files.map { $0.path.hasPrefix(folder.path + "/") ? String($0.path.dropFirst(folder.path.count + 1)) : $0.path }
        print("segmadiff: wrote \(names.joined(separator: ", ")) in \(folder.path)")
    }

    /// eval_many, from the test split or (`segmadiff sample --masks DIR`) a folder of masks.
    /// With several processes, each makes its share of the batches; rank 0 reports.
    func sampleMany(maskFolder: String?, _ distributed: DistributedEnvironment?) throws {
        let device = try device(distributed)
        let group = try distributed?.join(device: device, timeout: options.distTimeout)
        let summary = try SampleMany.run(try evaluationOptions(maskFolder: maskFolder, device: device), group: group)
        guard group?.isMain ?? true else { return }
        let kept = summary.skipped > 0 ? " (\(summary.skipped) already there)" : ""
        let masks = FileManager.default.fileExists(atPath: summary.folder.appendingPathComponent("masks").path) ? "; the masks used in masks/" : ""
        let processes = group.map { " by \($0.worldSize) processes" } ?? ""
        print("segmadiff: \(summary.written + summary.skipped) images in \(summary.folder.path): \(summary.written) written\(processes)\(kept)\(masks); list in manifest.json")
    }

    /// `segmadiff translate`: the images of a folder translated under the masks of the same names.
    /// Several processes would write the same files, so only rank 0 works.
    func translate(images: String, masks: String?) throws {
        let distributed = try startProcess()
        guard (distributed?.rank ?? 0) == 0 else { return }
        let options = try evaluationOptions(maskFolder: masks, device: device(distributed), translationImages: images)
        let summary = try ImageTranslation.run(options)
        let kept = summary.skipped > 0 ? " (\(summary.skipped) already there)" : ""
        print("segmadiff: \(summary.written + summary.skipped) translated images in \(summary.folder.path): \(summary.written) written\(kept); list in manifest.json")
    }

    /// Seg types in the mask folder (sorted folders, dot-files ignored), as the dataset lists them.
    private func segTypeNames() -> [String] {
        guard let segDir = options.segDir,
              let entries = try? FileManager.default.contentsOfDirectory(atPath: segDir) else { return [] }
        return entries.filter { name in
            var isDirectory: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: segDir + "/" + name, isDirectory: &isDirectory) && isDirectory.boolValue
        }.sorted()
    }

    /// Whether the CPU computes bf16 in hardware; elsewhere libtorch emulates it, slowly.
    static var cpuHasNativeBF16: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return false }
        return info.contains("avx512_bf16") || info.contains("amx_bf16")
    }
}
