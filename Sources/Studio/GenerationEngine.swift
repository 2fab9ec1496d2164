import Datasets
import Diffusion
import Evaluation
import Foundation
import ModelCard
import Torch
import Training

/// Runs one job on the queue's thread: the run's model (kept loaded between jobs, reloaded when
/// its weights change), the job's sampler, one image per seed from that seed's noise, all
/// conditioned on the painted mask. Between steps it reports progress, sends x̂0 now and then, and
/// stops when the job was cancelled.
final class GenerationEngine: @unchecked Sendable {
    struct Cancelled: Error {}

    /// How many previews of x̂0 a run sends at most.
    static let previewCount = 8

    private var loaded: (key: String, model: EvaluationModel)?

    func run(_ job: Job) throws -> Job.Results {
        if job.cancelRequested { throw Cancelled() }
        let request = job.request
        let model = try load(request.run.path)
        let options = EvaluationOptions(checkpointDirectory: request.run.path, outputDirectory: NSTemporaryDirectory(),
                                        sampler: request.sampler, inferenceSteps: request.steps, seed: request.seeds[0],
                                        guidanceScale: request.guidanceScale)
        var (_, steps, sampler) = try model.sampler(options)
        let size = model.imageSize, channels = model.imageChannels, batch = request.seeds.count
        guard request.labels.shape == [1, 1, size, size] else {
            throw StudioError.badRequest("the mask is \(request.labels.shape.dropFirst(2)); this model samples \(size) x \(size)")
        }
        let encoder = model.maskEncoder(segTypeCount: max(1, model.card.segTypes.count))
        let labels = request.labels.expanded(to: [batch, 1, size, size]).contiguous()
        let masks = encoder.encoded(labels)
        let guidance = request.guidanceScale != 0
            ? MaskGuidance(scale: request.guidanceScale, blank: encoder.encoded(Tensor.zeros([1, 1, size, size], TensorOptions(.int64)))) : nil
        let noise = Tensor.cat(request.seeds.map { Tensor.randn([1, channels, size, size], generator: Generator(seed: $0)) })
        let every = max(1, steps / Self.previewCount)
        sampler.onStep = { step in
            if job.cancelRequested { throw Cancelled() }
            let preview = step.index % every == 0 && step.index < step.total ? try Self.previews(step.predictedImage) : nil
            job.progress(step: step.index, total: step.total, preview: preview)
        }
        let generator = Generator(seed: request.seeds[0])
        let images: Tensor
        switch request.mode {
        case .generate:
            images = try sampler.sample(conditioning: .fixed(masks), imageChannels: channels, steps: steps, guidance: guidance,
                                        generator: generator, initialNoise: noise).images
        case .translate:
            let real = try realImage(request.image!, model: model).unsqueezed(0).expanded(to: [batch, channels, size, size]).contiguous()
            images = try sampler.translate(real, strength: request.strength, conditioning: .fixed(masks), steps: steps,
                                           guidance: guidance, noise: noise, generator: generator).images
        }
        if job.cancelRequested { throw Cancelled() }
        let output = images.to(.float32)
        let units = SampleImageWriter(channels: channels, normalization: model.card.normalization).npyValues(output)
        return Job.Results(
            images: try (0..<batch).map { try Self.png(output.selected(dim: 0, index: $0)) },
            imageArrays: try (0..<batch).map { try NPYFile.encode(units.selected(dim: 0, index: $0).contiguous()) },
            mask: try MaskImages.labelsPNG(request.labels.selected(dim: 0, index: 0)),
            maskArray: try NPYFile.encode(request.labels.selected(dim: 0, index: 0).contiguous()),
            maskOverlay: try MaskImages.overlayPNG(request.labels.selected(dim: 0, index: 0), classes: request.classes),
            seconds: 0)
    }

    /// The model of a run, loaded once; a run whose published weights changed (training went on)
    /// is loaded again.
    private func load(_ path: String) throws -> EvaluationModel {
        let weights = path + "/unet/diffusion_pytorch_model.safetensors"
        let resolved = ServedFolder.realPath(weights) ?? weights
        let modified = (try? FileManager.default.attributesOfItem(atPath: resolved))?[.modificationDate] as? Date
        let key = "\(resolved) \(modified?.timeIntervalSince1970 ?? 0)"
        if let loaded, loaded.key == key { return loaded.model }
        loaded = nil
        let model: EvaluationModel
        do {
            model = try EvaluationModel.load(EvaluationOptions(checkpointDirectory: path, outputDirectory: NSTemporaryDirectory()))
        } catch let error as UsageError {
            throw StudioError.badRequest(error.description)
        }
        guard model.imageSize > 0 else { throw StudioError.badRequest("\(path)/unet/config.json has no sample_size") }
        loaded = (key, model)
        return model
    }

    /// The data set's image at the model's size and normalisation, [C, S, S] in [-1, 1].
    private func realImage(_ path: String, model: EvaluationModel) throws -> Tensor {
        let raw = try MaskImages.decode(path).intensityPlanes()
        let image = ImagePreprocessor(size: model.imageSize, normalization: model.card.normalization)(raw)
        guard image.shape[0] == model.imageChannels else {
            throw StudioError.badRequest("\((path as NSString).lastPathComponent) has \(image.shape[0]) channels; the model makes \(model.imageChannels)")
        }
        return image
    }

    /// One image [C, S, S] in [-1, 1] as a PNG to look at: its channels when 1 or 3, else the first.
    static func png(_ image: Tensor) throws -> Data {
        let shown = image.shape[0] == 1 || image.shape[0] == 3 ? image : image.narrowed(dim: 0, start: 0, length: 1)
        return try PixelCodec.encodePNG(ImageOutput.eightBit(shown.unsqueezed(0)).squeezed(0))
    }

    /// x̂0 [B, C, S, S] as PNG data URLs, one per seed.
    static func previews(_ images: Tensor) throws -> [String] {
        let output = images.to(.float32).to(.cpu)
        return try (0..<output.shape[0]).map {
            "data:image/png;base64," + (try png(output.selected(dim: 0, index: $0))).base64EncodedString()
        }
    }
}
