import Datasets
import Foundation
import ModelCard
import Torch
import Training

/// `segmadiff synthesize`: a ready data set of image + mask pairs from a trained model and a mask
/// source (docs/synthesize.md). Each of `--count` samples takes a source mask (in file-name order,
/// cycling, named as eval_many names them), applies the `--edit`s with its own seed, and is sampled
/// under the edited mask; image and masks go to segmadiff's layout (SynthesisLayout), every pair's
/// provenance to manifest.json, and with `--nnunet` an nnU-Net v2 raw data set is written too.
///
/// Resumable as eval_many: pairs already on disk are kept (their batch is sampled again when one of
/// its images is missing, so every file equals an uninterrupted run's), and settings that would
/// change what the pairs mean are refused.
public enum DatasetSynthesis {
    public struct Summary: Sendable {
        public let folder: URL
        public let written: Int
        public let skipped: Int
        /// Samples whose edits left a class empty: listed in manifest.json, not written.
        public let dropped: Int
        /// Pairs on disk per split.
        public let splitCounts: [String: Int]
        public let nnunetFolder: URL?
    }

    public static let madeBy = "segmadiff synthesize"

    public static func run(_ options: SynthesisOptions) throws -> Summary {
        let sampling = options.sampling
        let model = try EvaluationModel.load(sampling)
        guard model.guided else {
            throw UsageError("\(model.folder.unet.path): the model is not segmentation-guided, so its images have no masks to pair with; synthesize from a model trained with --segmentation_guided")
        }
        guard let classes = model.classCount else {
            throw UsageError("\(model.folder.unet.path) has no \(ModelCard.fileName) to give the class count; pass --num_segmentation_classes")
        }
        if let edit = options.edits.first(where: { ($0.label ?? 0) >= classes }) {
            throw UsageError("--edit \"\(edit.spec)\": the model has no class \(edit.label!); its classes are 1-\(classes - 1) (0 is the background)")
        }
        guard options.valFraction >= 0, options.valFraction < 1 else {
            throw UsageError("--val_fraction \(options.valFraction) must be at least 0 and below 1, for example 0.2")
        }
        let data = try SynthesisSource.open(options, model: model)
        let run = try SamplingRun(model: model, options: sampling, data: data)
        let count = options.count ?? data.samples.count
        guard count >= 1, count <= 1_000_000 else { throw UsageError("--count \(count) must be from 1 to 1000000") }
        let plan = SampleManyPlan(count: count, maskNames: data.samples.map(\.name))
        let writer = SampleImageWriter(channels: model.imageChannels, normalization: model.card.normalization)
        let layout = SynthesisLayout(root: sampling.output.root, segTypes: data.segTypes, fileExtension: writer.fileExtension)
        let validation = try SynthesisLayout.validationMasks(maskCount: data.samples.count, fraction: options.valFraction, seed: sampling.seed)
        func split(_ entry: SampleManyPlan.Entry) -> Split { validation.contains(entry.maskIndex!) ? .val : .train }
        let chain = MaskEditChain(options.edits)
        let export = try options.nnunetFolder.map {
            try NNUNetExport(path: $0, model: model, classes: classes, segTypeCount: data.segTypes.count, imageFormat: writer.format,
                             channelNames: options.channelNames, classNames: options.classNames)
        }

        var manifest = SampleManifest(settings: [
            "made_by": madeBy, "checkpoint": model.folder.path, "count": count,
            "mask_source": URL(fileURLWithPath: data.source!).standardizedFileURL.path,
            "mask_split": sampling.maskFolder == nil ? options.split.rawValue as Any : NSNull(),
            "edits": chain.specs, "val_fraction": options.valFraction,
            "sampler": run.choice.rawValue, "steps": run.steps, "seed": sampling.seed, "batch_size": sampling.evalBatchSize,
            "image_format": writer.format.rawValue, "image_size": data.imageSize,
            "guidance_scale": sampling.guidanceScale, "guidance_detail_scale": sampling.guidanceDetailScale,
            "guidance_rescale": sampling.guidanceRescale, "use_clipped_model_output": run.usesClippedModelOutput,
        ], information: [
            "segmadiff_version": SegMaDiffVersion.current, "command_line": sampling.commandLine,
            "image_units": writer.units, "mask_encoding": model.card.maskEncoding.rawValue, "seg_types": data.segTypes,
            "classes": classes, "layout": "images/<split>/NAME and masks/<seg type>/<split>/NAME: train with --img_dir OUT/images --seg_dir OUT/masks",
            "seed_note": "each image's x_T comes from its own seed, its mask edits from its edit_seed; DDPM step noise from the batch's (fixed windows of batch_size samples)",
        ])
        // Where the nnU-Net copy went, as information: it can be added or renamed on a rerun without
        // changing a pair.
        if let export {
            manifest.information["nnunet"] = ["folder": export.folder.path, "channel_names": export.channelNames, "labels": export.labelNames]
        }
        try SynthesisLayout.checkOutputFolder(layout.root)
        // One writer per output folder; taken before the first write, so that a user error leaves no
        // folder behind.
        let lock = try RunLock.acquire(sampling.output)
        defer { withExtendedLifetime(lock) {} }
        try manifest.checkResumable(in: layout.root)
        try export?.checkFolder(stems: plan.entries.map(\.stem))
        // The manifest before the first pair, so that a run stopped at any point leaves a folder
        // that a rerun recognises as its own.
        if !layout.exists(SampleManifest.fileName) { try manifest.write(to: layout.root) }
        try layout.createFolders(validation.isEmpty ? [.train] : [.train, .val])

        func isDone(_ entry: SampleManyPlan.Entry) -> Bool {
            ([layout.imageFile(entry.stem, split(entry))] + layout.maskFiles(entry.stem, split(entry))).allSatisfy(layout.exists)
        }
        func record(_ entry: SampleManyPlan.Entry, _ edits: MaskEditChain.Result) -> [String: Any] {
            let source = data.samples[entry.maskIndex!]
            return ["file": layout.imageFile(entry.stem, split(entry)), "mask_files": layout.maskFiles(entry.stem, split(entry)),
                    "split": split(entry).rawValue, "index": entry.index, "seed": run.seeds.noise(entry.index),
                    "sampler": run.choice.rawValue, "steps": run.steps, "guidance_scale": sampling.guidanceScale,
                    "source_mask": source.name, "source_mask_files": source.masks,
                    "edit_seed": run.seeds.edits(entry.index), "edits": edits.records]
        }

        // An edited mask stands for its context slices too: its neighbours were not edited with it.
        let conditioner = model.conditioner(segTypeCount: data.segTypes.count)
        let batches = plan.batches(of: sampling.evalBatchSize)
        let skipped = plan.entries.filter(isDone).count
        let pending = plan.entries.count - skipped
        let bar = ProgressBar("synthesizing \(pending) pairs" + (skipped > 0 ? " (\(skipped) already there)" : ""), total: pending, unit: "pairs")
        var records: [Int: [String: Any]] = [:]
        var dropped: [[String: Any]] = []
        var written = 0
        for (batchIndex, batch) in batches.enumerated() {
            // Every window is edited again, done or not: the manifest lists each pair's edits.
            let perType = try data.load(batch.map { $0.maskIndex! }).labels!
            var kept: [(entry: SampleManyPlan.Entry, edits: MaskEditChain.Result)] = []
            for (slot, entry) in batch.enumerated() {
                let sample = perType.selected(dim: 0, index: slot)
                let maps = (0..<sample.shape[0]).map { LabelMap(sample.selected(dim: 0, index: $0)) }
                let edits = chain.apply(to: maps, seed: run.seeds.edits(entry.index))
                if let reason = edits.dropReason {
                    dropped.append(["index": entry.index, "name": entry.stem, "source_mask": data.samples[entry.maskIndex!].name,
                                    "edit_seed": run.seeds.edits(entry.index), "edits": edits.records, "reason": reason])
                } else {
                    kept.append((entry, edits))
                }
            }
            let missing = kept.filter { !isDone($0.entry) }
            if !missing.isEmpty {
                let edited = Tensor.stack(kept.map { item in Tensor.cat(item.edits.maps.map(\.tensor), dim: 0) })
                let condition = conditioner.condition(edited, ablationSeeds: [])
                let images = try run.sample(indices: kept.map { $0.entry.index }, masks: condition.masks, batch: batchIndex)
                for (slot, item) in kept.enumerated() where !isDone(item.entry) {
                    let place = split(item.entry)
                    for (map, file) in zip(item.edits.maps, layout.maskFiles(item.entry.stem, place)) {
                        try layout.writeMask(map.tensor, to: file)
                    }
                    // The image last: a file that exists is complete together with its masks.
                    try writer.write(images.selected(dim: 0, index: slot), to: layout.url(layout.imageFile(item.entry.stem, place)).path)
                    written += 1
                }
                bar.update(step: written, [])
            }
            for item in kept where isDone(item.entry) { records[item.entry.index] = record(item.entry, item.edits) }
            if !missing.isEmpty || batchIndex == batches.count - 1 {
                manifest.images = records.keys.sorted().map { records[$0]! }
                manifest.information["dropped"] = dropped
                manifest.information["dropped_count"] = dropped.count
                try manifest.write(to: layout.root)
            }
        }
        if pending > 0 { bar.finish() }

        let done = plan.entries.filter { records[$0.index] != nil }
        if let export {
            try export.write(done.map { entry in
                (entry.stem, layout.url(layout.imageFile(entry.stem, split(entry))), layout.maskFiles(entry.stem, split(entry)).map(layout.url))
            }, description: "Image + mask pairs synthesized by segmadiff from \(model.folder.path); provenance of each in \(layout.url(SampleManifest.fileName).path)")
        }
        let splitCounts = Dictionary(grouping: done, by: { split($0).rawValue }).mapValues(\.count)
        return Summary(folder: layout.root, written: written, skipped: skipped, dropped: dropped.count, splitCounts: splitCounts,
                       nnunetFolder: export?.folder)
    }
}
