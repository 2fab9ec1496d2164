import Datasets
import Diffusion
import Foundation
import Torch
import Training

/// `--mode eval` (docs/python-reference.md §8.2 with docs/python-reference.md §9's fixes): samples conditioned on the first test batch in
/// file-name order, written as the seed's grids `samples/-001.png`, `-001_cond_seg_<type>.png` (the
/// masks actually used) and `-001_orig.png` (only when test images were given); the batch has the
/// split's actual length (docs/python-reference.md §9 #18). `--eval_mask_removal` adds the mask-removal figure.
/// With `--translate`, the samples are the test images translated under their masks.
public enum GenerationEvaluation {
    /// The files written, in order.
    public static func run(_ options: EvaluationOptions) throws -> [URL] {
        let model = try EvaluationModel.load(options)
        if options.maskRemoval { try MaskRemovalFigure.checkPossible(model) }
        let data = try EvaluationData.open(options, model: model, images: true)
        let sampling = try SamplingRun(model: model, options: options, data: data)
        let translating = options.translationStrength != nil
        let count = model.guided || translating ? min(options.evalBatchSize, data.samples.count) : options.evalBatchSize
        let indices = Array(0..<count)
        let loaded = try data.load(data.samples.isEmpty ? [] : Array(0..<min(count, data.samples.count)))

        var used: Tensor?
        var masks: Tensor?
        if model.guided, let perType = loaded.labels {
            let conditioner = model.conditioner(segTypeCount: data.segTypes.count, ablation: options.ablation, blank: options.blankMask)
            let condition = conditioner.condition(perType, context: loaded.context, ablationSeeds: indices.map(sampling.seeds.ablation))
            (used, masks) = (condition.labels, condition.masks)
        }
        let images: Tensor
        if let strength = options.translationStrength {
            guard let real = loaded.images else {
                throw UsageError("--translate changes the test images under their masks; pass --img_dir with a test/ folder of images named as the masks")
            }
            images = try sampling.translate(real, indices: indices, masks: masks, strength: strength, batch: 0)
        } else {
            images = try sampling.sample(indices: indices, masks: masks, batch: 0)
        }

        // One writer per output folder, as for training; taken before the first write, so that a
        // user error leaves no folder behind.
        let lock = try RunLock.acquire(options.output)
        defer { withExtendedLifetime(lock) {} }
        let samples = options.output.samples
        try OutputFolder.create(samples)
        var written: [URL] = []
        let grid = samples.appendingPathComponent("-001.png")
        try SampleGrid.write(ImageOutput.unitRange(images), to: grid)
        written.append(grid)
        if let used {
            // One grid per label map used: the merged map (named after the first seg type) in single mode.
            for (index, type) in data.segTypes.enumerated() where index < used.shape[1] {
                let url = samples.appendingPathComponent("-001_cond_seg_\(type).png")
                let plane = used.narrowed(dim: 1, start: index, length: 1).to(.float32)
                try SampleGrid.write(SampleGrid.minMaxNormalised(plane), to: url)
                written.append(url)
            }
        }
        if let real = loaded.images {
            let url = samples.appendingPathComponent("-001_orig.png")
            try SampleGrid.write(SampleGrid.minMaxNormalised(real), to: url)
            written.append(url)
        }
        if options.maskRemoval {
            written += try MaskRemovalFigure.make(model: model, data: data, sampling: sampling, options: options)
        }
        return written
    }
}
