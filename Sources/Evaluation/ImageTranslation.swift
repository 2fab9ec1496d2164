import Datasets
import Foundation
import ModelCard
import Torch
import Training

/// `segmadiff translate`: each image of `--images` is noised to the level of timestep S·T and
/// denoised under the mask of the same name from `--masks` (SDEdit), so an edited mask reshapes the
/// anatomy while the rest of the image is kept. Writes `OUTPUT/translated_<S>/NAME.<ext>`, the mask
/// used as `masks/NAME.png`, and `manifest.json` (with each source image), as eval_many does.
public enum ImageTranslation {
    public struct Summary: Sendable {
        public let folder: URL
        public let written: Int
        public let skipped: Int
    }

    public static func run(_ options: EvaluationOptions) throws -> Summary {
        guard let strength = options.translationStrength else {
            throw UsageError("segmadiff translate needs --strength S between 0 and 1")
        }
        let model = try EvaluationModel.load(options)
        let data = try EvaluationData.openTranslation(options, model: model)
        let sampling = try SamplingRun(model: model, options: options, data: data)
        let writer = SampleImageWriter(channels: model.imageChannels, normalization: model.card.normalization)
        let folder = options.output.root.appendingPathComponent("translated_\(strength)")
        let maskFolder = folder.appendingPathComponent("masks")

        var manifest = SampleManifest(settings: [
            "checkpoint": model.folder.path, "strength": strength, "guided": model.guided,
            "image_source": URL(fileURLWithPath: options.translationImages!).standardizedFileURL.path,
            "mask_source": data.source.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? NSNull(),
            "guidance_scale": options.guidanceScale, "guidance_detail_scale": options.guidanceDetailScale,
            "guidance_rescale": options.guidanceRescale, "use_clipped_model_output": sampling.usesClippedModelOutput,
            "sampler": sampling.choice.rawValue, "steps": sampling.steps,
            "seed": options.seed, "batch_size": options.evalBatchSize, "image_format": writer.format.rawValue,
            "image_size": data.imageSize,
        ], information: [
            "segmadiff_version": SegMaDiffVersion.current, "command_line": options.commandLine,
            "image_units": writer.units, "mask_encoding": model.card.maskEncoding.rawValue,
            "strength_note": "each image is noised to the first sampler timestep at or below strength x 1000 and denoised from it; 0 keeps the image, 1 samples from noise",
        ])
        // One writer per output folder, as for training; taken before the first write, so that a
        // user error leaves no folder behind.
        let lock = try RunLock.acquire(options.output)
        defer { withExtendedLifetime(lock) {} }
        try manifest.checkResumable(in: folder)
        try OutputFolder.create(model.guided ? maskFolder : folder)

        let stems = data.samples.map { ($0.name as NSString).deletingPathExtension }
        if let clash = Dictionary(grouping: data.samples.map(\.name), by: { ($0 as NSString).deletingPathExtension }).first(where: { $0.value.count > 1 }) {
            throw UsageError("\(options.translationImages!): \(clash.value.joined(separator: " and ")) would be written under one name; rename one of them")
        }
        func imageFile(_ index: Int) -> String { "\(stems[index]).\(writer.fileExtension)" }
        func maskFile(_ index: Int) -> String? { model.guided ? "masks/\(stems[index]).png" : nil }
        func isDone(_ index: Int) -> Bool {
            ([imageFile(index)] + [maskFile(index)].compactMap { $0 }).allSatisfy {
                FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
            }
        }
        func record(_ index: Int) -> [String: Any] {
            ["file": imageFile(index), "mask_file": maskFile(index) ?? NSNull(), "source_image": data.samples[index].image!,
             "source_mask": data.samples[index].masks.first ?? NSNull(), "index": index, "seed": sampling.seeds.noise(index),
             "sampler": sampling.choice.rawValue, "steps": sampling.steps, "strength": strength]
        }

        let conditioner = model.guided ? model.conditioner(segTypeCount: 1) : nil
        var done = data.samples.indices.map(isDone)
        let pending = done.filter { !$0 }.count
        let skipped = done.count - pending
        let bar = ProgressBar("translating \(pending) images" + (skipped > 0 ? " (\(skipped) already there)" : ""), total: pending, unit: "images")
        let windows = stride(from: 0, to: data.samples.count, by: options.evalBatchSize).map {
            Array($0..<min($0 + options.evalBatchSize, data.samples.count))
        }
        var written = 0
        for (batchIndex, indices) in windows.enumerated() where indices.contains(where: { !done[$0] }) {
            let loaded = try data.load(indices)
            let condition = try loaded.labels.map { labels in conditioner!.condition(labels, context: loaded.context, ablationSeeds: []) }
            let images = try sampling.translate(loaded.images!, indices: indices, masks: condition?.masks, strength: strength,
                                                batch: batchIndex)
            for (slot, index) in indices.enumerated() where !done[index] {
                if let labels = condition?.labels, let file = maskFile(index) {
                    try SampleImageWriter.writeLabels(labels.selected(dim: 0, index: slot), to: folder.appendingPathComponent(file).path)
                }
                // The image last: a file that exists is complete together with its mask.
                try writer.write(images.selected(dim: 0, index: slot), to: folder.appendingPathComponent(imageFile(index)).path)
                done[index] = true
                written += 1
            }
            bar.update(step: written, [])
            manifest.images = data.samples.indices.filter { done[$0] }.map(record)
            try manifest.write(to: folder)
        }
        if pending > 0 { bar.finish() } else {
            manifest.images = data.samples.indices.map(record)
            try manifest.write(to: folder)
        }
        return Summary(folder: folder, written: written, skipped: skipped)
    }
}
