import Foundation
import Torch
import Training

/// How faithfully generated images follow their masks (Dice of a segmenter's labels against the
/// conditioning masks) and how close they are to real images (KID, and FID when the sets are large
/// enough, on the segmenter's features, and intensity-histogram distances), as in the
/// segmentation-guided-diffusion paper.
///
///     let report = try GenerationMetrics.compute(MetricsOptions(segmenter: "run/segmenter",
///                                                               generated: "run/samples_many_100", real: "data/img/test"))
public enum GenerationMetrics {
    /// Computes the metrics and writes the JSON (atomically).
    @discardableResult
    public static func compute(_ options: MetricsOptions) throws -> MetricsReport {
        guard options.batchSize >= 1 else { throw UsageError("--batch_size must be at least 1 (got \(options.batchSize))") }
        let segmenter = try Segmenter.load(from: URL(fileURLWithPath: options.segmenter), device: options.device)
        let config = segmenter.config
        let generated = try ImageFolder(options.generated, role: "generated image")
        let masks = try ImageFolder(options.masksFolder, role: "mask")
        let real = try options.real.map { try ImageFolder($0, role: "real image") }
        // Every pairing is checked before any image is segmented.
        let maskPaths = try generated.files.map { name -> String in
            guard let path = masks.mask(for: name) else {
                throw UsageError("\(generated.url(name)) has no mask \(masks.url(name)); metrics compare each image with the mask it was generated from")
            }
            return path
        }
        let input = SegmenterInput(config: config)
        let generatedNormalization = options.generatedNormalization ?? config.normalization

        var dice = DiceAccumulator(classes: config.classes)
        var generatedPass = FeaturePass()
        for range in batches(generated.files.count, options.batchSize) {
            let names = Array(generated.files[range])
            let images = try Tensor.stack(names.map { try input.image(generated.url($0), normalization: generatedNormalization) })
            let labels = try Tensor.stack(maskPaths[range].map { try input.labels($0) })
            let output = generatedPass.add(images, segmenter)
            dice.add(predicted: output, reference: labels, names: names)
        }

        var report = MetricsReport(
            segmenter: Segmenter.resolvedFolder(URL(fileURLWithPath: options.segmenter)).path, generated: generated.path,
            masks: masks.path, real: real?.path, classes: config.classes, generatedCount: generated.files.count,
            realCount: real?.files.count, dicePerClass: dice.perClass, diceMean: dice.mean,
            diceMeanOfImages: dice.meanOfImages, dicePerImage: dice.imageMeans, featureDimension: config.featureDimension)

        if let real {
            var realPass = FeaturePass()
            for range in batches(real.files.count, options.batchSize) {
                let images = try Tensor.stack(real.files[range].map { try input.image(real.url($0), normalization: config.normalization) })
                _ = realPass.add(images, segmenter)
            }
            let a = generatedPass.features(), b = realPass.features()
            // The kernel distance needs two vectors per set; with one, there is no distribution. FID
            // needs a full-rank covariance, so more vectors than dimensions.
            if a.shape[0] >= 2 && b.shape[0] >= 2 {
                report.kid = KernelDistance.between(a, b)
            }
            if let shortfall = FrechetDistance.sampleShortfall(generated: a.shape[0], real: b.shape[0], dimension: config.featureDimension) {
                report.fidNote = shortfall
            } else {
                report.fid = FrechetDistance.between(FeatureStatistics(a), FeatureStatistics(b))
            }
            report.histogramWasserstein = IntensityHistogram.wasserstein(generatedPass.histogram, realPass.histogram)
            report.histogramJensenShannon = IntensityHistogram.jensenShannon(generatedPass.histogram, realPass.histogram)
        }
        try writeJSON(report.json, to: URL(fileURLWithPath: options.jsonPath))
        return report
    }

    private static func batches(_ count: Int, _ size: Int) -> [Range<Int>] {
        stride(from: 0, to: count, by: size).map { $0..<min($0 + size, count) }
    }
}

/// Features and intensities collected over one image set.
private struct FeaturePass {
    var chunks: [Tensor] = []
    var histogram = IntensityHistogram()

    /// Segments `images`, keeps their features and intensities, returns the labels.
    mutating func add(_ images: Tensor, _ segmenter: Segmenter) -> Tensor {
        let output = segmenter.run(images)
        chunks.append(output.features)
        histogram.add(images)
        return output.labels
    }

    func features() -> Tensor { Tensor.cat(chunks, dim: 0) }
}
