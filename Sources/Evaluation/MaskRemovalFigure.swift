import Datasets
import Diffusion
import Foundation
import ModelCard
import Torch
import Training

/// `--eval_mask_removal`: samples a few test masks in every state of `MaskRemovalSchedule`, from the
/// same noise in every row so that differences come from the mask alone, and writes the figure as
/// `OUTPUT/mask_removal.png` and `.pdf` (not the seed's working-directory PDF, docs/python-reference.md §9 #31).
public enum MaskRemovalFigure {
    /// The samples (columns) shown.
    public static let maxSamples = 4

    public static func pngURL(_ output: RunFolder) -> URL { output.root.appendingPathComponent("mask_removal.png") }
    public static func pdfURL(_ output: RunFolder) -> URL { output.root.appendingPathComponent("mask_removal.pdf") }

    /// Fails before any sampling when the figure cannot be made (docs/python-reference.md §9 #8).
    static func checkPossible(_ model: EvaluationModel) throws {
        guard model.guided else {
            throw UsageError("--eval_mask_removal needs a segmentation-guided model, but \(model.folder.unet.path) takes no masks")
        }
        guard model.classCount != nil else {
            throw UsageError("--eval_mask_removal: \(model.folder.unet.path) has no \(ModelCard.fileName) to give the class count; pass --num_segmentation_classes")
        }
    }

    static func make(model: EvaluationModel, data: EvaluationData, sampling: SamplingRun, options: EvaluationOptions) throws -> [URL] {
        // Spread over the test set (often ordered by slice position), so the columns show varied anatomy.
        let count = data.samples.count, shown = min(maxSamples, options.evalBatchSize, count)
        let indices = (0..<shown).map { $0 * count / shown + count / (2 * shown) }
        let loaded = try data.load(indices)
        guard let perType = loaded.labels, let classes = model.classCount else { return [] }
        let conditioner = model.conditioner(segTypeCount: data.segTypes.count)
        // A class is removed from the slice and its context slices alike.
        let full = conditioner.conditioning.labels(centre: perType, context: loaded.context, encoder: conditioner.encoder)
        let schedule = MaskRemovalSchedule(classes: classes, names: model.card.classNames)
        var masks: [[Tensor]] = [], images: [[Tensor]] = []
        for row in schedule.rows {
            let labels = schedule.apply(row, to: full)
            // The same image indices, hence the same noise, in every row.
            let sampled = try sampling.sample(indices: indices, masks: conditioner.conditioning.encoded(labels, previous: nil, imageChannels: model.imageChannels, encoder: conditioner.encoder), batch: 0)
            // Rows of the batch are positions 0..<shown, whatever the samples' indices in the split.
            masks.append(indices.indices.map { labels.selected(dim: 0, index: $0).selected(dim: 0, index: 0) })
            images.append(indices.indices.map { ImageOutput.unitRange(sampled.selected(dim: 0, index: $0)) })
        }
        let plot = MaskRemovalPlot(schedule: schedule, sampleNames: indices.map { data.samples[$0].name }, masks: masks,
                                   images: images, caption: "\(sampling.choice.rawValue), \(sampling.steps) steps, seed \(options.seed); model \(shownPath(model.folder.path))")
        try OutputFolder.create(options.output.root)
        try AtomicFile.write(try plot.png(), to: pngURL(options.output).path)
        try AtomicFile.write(try plot.pdf(), to: pdfURL(options.output).path)
        return [pngURL(options.output), pdfURL(options.output)]
    }

    /// A path as the figure shows it: relative to the working directory when below it.
    static func shownPath(_ path: String) -> String {
        let here = FileManager.default.currentDirectoryPath + "/"
        return path.hasPrefix(here) ? String(path.dropFirst(here.count)) : path
    }
}
