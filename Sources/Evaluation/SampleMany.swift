import Datasets
import Foundation
import ModelCard
import Torch
import Training

/// `--mode eval_many` and `segmadiff sample`: exactly N images (docs/python-reference.md §9 #29, #30) in
/// `OUTPUT/samples_many_<N>/`, conditioned on the test masks (or `--masks DIR`) in file-name order,
/// cycling through them; each image's mask as used (ablated, when on) in `masks/` under the same
/// name; `manifest.json`. Images already written are kept, so a stopped run continues where it was.
///
/// With a process group, rank r makes the batches whose index is r modulo the world size; every
/// image still comes from its own seeds, so the files equal one process's. Rank 0 writes the manifest,
/// once all ranks are done.
public enum SampleMany {
    public struct Summary: Sendable {
        public let folder: URL
        public let written: Int
        public let skipped: Int
    }

    public static func run(_ options: EvaluationOptions, group: ProcessGroup? = nil) throws -> Summary {
        let rank = group?.rank ?? 0, worldSize = group?.worldSize ?? 1
        let model = try EvaluationModel.load(options)
        if options.ablation && model.guided && model.classCount == nil {
            throw UsageError("--use_ablated_segmentations: \(model.folder.unet.path) has no \(ModelCard.fileName) to give the class count; pass --num_segmentation_classes")
        }
        let data = try EvaluationData.open(options, model: model, images: false)
        let sampling = try SamplingRun(model: model, options: options, data: data)
        let plan = SampleManyPlan(count: options.sampleCount, maskNames: model.guided ? data.samples.map(\.name) : [])
        let writer = SampleImageWriter(channels: model.imageChannels, normalization: model.card.normalization)
        let folder = options.output.samplesMany(options.sampleCount)
        let maskFolder = folder.appendingPathComponent("masks")
        let multi = model.card.segmentationChannelMode == .multi && data.segTypes.count > 1

        var manifest = SampleManifest(settings: [
            "checkpoint": model.folder.path, "count": options.sampleCount, "guided": model.guided,
            "mask_source": data.source.map { URL(fileURLWithPath: $0).standardizedFileURL.path } ?? NSNull(),
            "ablation": options.ablation && model.guided, "blank_mask": options.blankMask && model.guided,
            "sampler": sampling.choice.rawValue, "steps": sampling.steps, "seed": options.seed,
            "batch_size": options.evalBatchSize, "image_format": writer.format.rawValue, "image_size": data.imageSize,
        ], information: [
            "segmadiff_version": SegMaDiffVersion.current, "command_line": options.commandLine,
            "image_units": writer.units, "mask_encoding": model.card.maskEncoding.rawValue,
            "seed_note": "each image's x_T comes from its own seed; DDPM step noise from the batch's (fixed windows of batch_size images)",
        ])
        // Recorded only when on, so that folders written before guidance existed still resume.
        if let guidance = sampling.guidance {
            manifest.settings["guidance_scale"] = guidance.scale
            manifest.settings["guidance_detail_scale"] = guidance.detailScale
            if guidance.rescale > 0 { manifest.settings["guidance_rescale"] = guidance.rescale }
        }
        if sampling.usesClippedModelOutput { manifest.settings["use_clipped_model_output"] = true }
        // One writer per output folder (rank 0 holds it for all ranks), as for training; taken
        // before the first write, so that a user error leaves no folder behind.
        let lock = rank == 0 ? try RunLock.acquire(options.output) : nil
        defer { withExtendedLifetime(lock) {} }
        try manifest.checkResumable(in: folder)
        let folders = !model.guided ? [folder] : multi ? data.segTypes.map { maskFolder.appendingPathComponent($0) } : [maskFolder]
        for url in folders { try OutputFolder.create(url) }

        func imageFile(_ entry: SampleManyPlan.Entry) -> String { "\(entry.stem).\(writer.fileExtension)" }
        func maskFiles(_ entry: SampleManyPlan.Entry) -> [String] {
            guard model.guided else { return [] }
            return multi ? data.segTypes.map { "masks/\($0)/\(entry.stem).png" } : ["masks/\(entry.stem).png"]
        }
        func isDone(_ entry: SampleManyPlan.Entry) -> Bool {
            ([imageFile(entry)] + maskFiles(entry)).allSatisfy { FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        }
        func record(_ entry: SampleManyPlan.Entry) -> [String: Any] {
            var item: [String: Any] = ["file": imageFile(entry), "index": entry.index, "seed": sampling.seeds.noise(entry.index),
                                       "sampler": sampling.choice.rawValue, "steps": sampling.steps]
            let masks = maskFiles(entry)
            item["mask_file"] = multi ? NSNull() : (masks.first ?? NSNull())
            if multi { item["mask_files"] = masks }
            item["source_mask"] = entry.maskIndex.map { data.samples[$0].name } ?? NSNull()
            return item
        }

        let conditioner = model.guided
            ? model.conditioner(segTypeCount: data.segTypes.count, ablation: options.ablation, blank: options.blankMask) : nil
        let batches = plan.batches(of: options.evalBatchSize)
        var done = plan.entries.map(isDone)
        let mine = batches.indices.filter { $0 % worldSize == rank }
        let pending = mine.reduce(0) { count, index in count + batches[index].filter { !done[$0.index] }.count }
        let skipped = plan.entries.count - done.filter { !$0 }.count
        let label = worldSize > 1 ? "rank \(rank): sampling \(pending) images" : "sampling \(pending) images"
        let bar = ProgressBar(label + (skipped > 0 ? " (\(skipped) already there)" : ""), total: pending, unit: "images")
        var written = 0
        for batchIndex in mine {
            let batch = batches[batchIndex]
            let missing = batch.filter { !done[$0.index] }
            if !missing.isEmpty {
                // The whole window is sampled again so that its images equal an uninterrupted run's.
                let indices = batch.map(\.index)
                var used: Tensor?
                var masks: Tensor?
                let loaded = try conditioner == nil ? nil : data.load(batch.map { $0.maskIndex! })
                if let conditioner, let perType = loaded?.labels {
                    let condition = conditioner.condition(perType, context: loaded?.context, ablationSeeds: indices.map(sampling.seeds.ablation))
                    (used, masks) = (condition.labels, condition.masks)
                }
                let images = try sampling.sample(indices: indices, masks: masks, batch: batchIndex)
                for (slot, entry) in batch.enumerated() where !done[entry.index] {
                    if let used {
                        for (channel, file) in maskFiles(entry).enumerated() {
                            let plane = used.selected(dim: 0, index: slot).narrowed(dim: 0, start: channel, length: 1)
                            try SampleImageWriter.writeLabels(plane, to: folder.appendingPathComponent(file).path)
                        }
                    }
                    // The image last: a file that exists is complete together with its mask.
                    try writer.write(images.selected(dim: 0, index: slot), to: folder.appendingPathComponent(imageFile(entry)).path)
                    done[entry.index] = true
                    written += 1
                }
                bar.update(step: written, [])
            }
            if rank == 0, !missing.isEmpty || batchIndex == batches.count - 1 {
                manifest.images = plan.entries.filter { done[$0.index] }.map(record)
                try manifest.write(to: folder)
            }
        }
        if pending > 0 { bar.finish() }
        guard let group else { return Summary(folder: folder, written: written, skipped: skipped) }
        // The others' counts, then the manifest of everything on disk.
        let counts = Tensor([Double(written)], shape: [1])
        try group.allReduceSum(counts)
        let total = Int(counts.scalars(as: Double.self)[0])
        if rank == 0 {
            manifest.images = plan.entries.filter(isDone).map(record)
            try manifest.write(to: folder)
        }
        return Summary(folder: folder, written: total, skipped: skipped)
    }
}
