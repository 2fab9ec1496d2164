import Datasets
import Foundation
import ModelCard
import Torch
import Training

extension ValidationScorer {
    /// `--val_segmenter FOLDER`: the Dice of images sampled during training, read back by a trained
    /// segmenter against the masks they were sampled on (the first seg type's labels), pooled over
    /// the images per class as `segmadiff metrics` does. Checked against the run before training
    /// starts, so a segmenter that cannot read this run's images stops nothing half-way.
    public static func segmenter(at path: String, spec: RunSpec, sampleCount: Int, device: Device) throws -> ValidationScorer {
        let segmenter = try Segmenter.load(from: URL(fileURLWithPath: path), device: device)
        let config = segmenter.config
        let card = spec.card
        guard spec.guided else {
            throw UsageError("--val_segmenter scores images sampled on masks; train with --segmentation_guided, or drop --val_segmenter")
        }
        guard config.imageChannels == card.numImageChannels else {
            throw UsageError("the segmenter in \(path) reads \(RawImage.channelName(config.imageChannels)), but this model makes \(RawImage.channelName(card.numImageChannels)); train one on this data with segmadiff train-segmenter")
        }
        guard config.classes == card.numSegmentationClasses else {
            throw UsageError("the segmenter in \(path) knows \(config.classes) classes, but this model is conditioned on \(card.numSegmentationClasses); train one on this data with segmadiff train-segmenter --num_segmentation_classes \(card.numSegmentationClasses)")
        }
        let stretch: Bool
        switch (config.normalization, card.normalization) {
        case let (trained, run) where trained == run: stretch = false
        case (.minMax, _): stretch = true
        case (.window, _):
            throw UsageError("the segmenter in \(path) was trained on images scaled by \(config.normalization), but this model's are scaled by \(card.normalization); train the segmenter with the same --normalization")
        default: stretch = false  // as `segmadiff metrics` reads generated images saved in [0, 1]
        }
        return ValidationScorer(sampleCount: sampleCount) { images, labels in
            var input = images.to(.float32).clamped(min: -1, max: 1)
            if stretch {
                let low = input.min(dims: [1, 2, 3], keepDim: true), high = input.max(dims: [1, 2, 3], keepDim: true)
                input = (input - low) / (high - low).clamped(min: 1e-6) * 2 - 1
            }
            var reference = labels.narrowed(dim: 1, start: 0, length: 1)
            let side = config.imageSize
            if input.shape[2] != side || input.shape[3] != side {
                input = input.interpolated(height: side, width: side, mode: .bilinear)
                reference = reference.resizedLabels(height: side, width: side)
            }
            let predicted = segmenter.segment(input.to(device)).to(.cpu)
            var dice = DiceAccumulator(classes: config.classes)
            dice.add(predicted: predicted, reference: reference.squeezed(1), names: (0..<images.shape[0]).map { "\($0)" })
            return dice.mean
        }
    }
}
