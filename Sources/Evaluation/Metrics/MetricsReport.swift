import Foundation

/// The numbers `segmadiff metrics` gives, with how they render as JSON and as a table.
public struct MetricsReport: Sendable {
    public var segmenter: String
    public var generated: String
    public var masks: String
    public var real: String?
    public var classes: Int
    public var generatedCount: Int
    public var realCount: Int?
    /// Set-wide Dice of classes 1..K-1 (nil: the class occurs in neither masks nor segmentations).
    public var dicePerClass: [Double?]
    public var diceMean: Double?
    public var diceMeanOfImages: Double?
    public var dicePerImage: [(name: String, dice: Double?)]
    public var featureDimension: Int
    /// Kernel and Fréchet distances of the segmenter's bottleneck features, generated vs real. KID
    /// is the headline: unbiased at any set size. FID is nil when a set has no more images than
    /// feature dimensions (its covariance is then singular), with `fidNote` saying so.
    public var kid: Double?
    public var fid: Double?
    public var fidNote: String?
    /// Pixel-intensity histogram distances, generated vs real.
    public var histogramWasserstein: Double?
    public var histogramJensenShannon: Double?

    /// The JSON object written to metrics.json (absent values as null).
    public var json: [String: Any] {
        func value(_ x: Double?) -> Any { x.map { $0 as Any } ?? NSNull() }
        var perClass: [String: Any] = [:]
        for (index, dice) in dicePerClass.enumerated() { perClass["\(index + 1)"] = value(dice) }
        var perImage: [String: Any] = [:]
        for (name, dice) in dicePerImage { perImage[name] = value(dice) }
        return [
            "segmenter": segmenter,
            "generated": generated,
            "masks": masks,
            "real": real.map { $0 as Any } ?? NSNull(),
            "num_segmentation_classes": classes,
            "generated_images": generatedCount,
            "real_images": realCount.map { $0 as Any } ?? NSNull(),
            "dice": ["per_class": perClass, "mean": value(diceMean), "mean_per_image": value(diceMeanOfImages),
                     "background_excluded": true] as [String: Any],
            "dice_per_image": perImage,
            "feature_dimension": featureDimension,
            "kid": value(kid),
            "fid": value(fid),
            "fid_note": fidNote.map { $0 as Any } ?? NSNull(),
            "histogram": ["bins": IntensityHistogram.binCount, "wasserstein": value(histogramWasserstein),
                          "jensen_shannon": value(histogramJensenShannon)] as [String: Any],
        ]
    }

    /// A few lines for the terminal.
    public var table: String {
        func show(_ x: Double?, _ format: String = "%.4f") -> String { x.map { String(format: format, $0) } ?? "n/a" }
        var lines = ["\(generatedCount) generated images in \(generated)"
                     + (realCount.map { " vs \($0) real images in \(real ?? "")" } ?? "")]
        lines.append("  class        Dice")
        for (index, dice) in dicePerClass.enumerated() {
            lines.append("  " + "\(index + 1)".padding(toLength: 11, withPad: " ", startingAt: 0) + "  " + show(dice))
        }
        lines.append("  mean         \(show(diceMean))  (mean of per-image means \(show(diceMeanOfImages)))")
        if realCount != nil {
            lines.append("  KID (segmenter features, \(featureDimension)-d)  \(show(kid, "%.5f"))")
            lines.append("  FID (segmenter features, \(featureDimension)-d)  " + (fidNote.map { "n/a: \($0)" } ?? show(fid)))
            lines.append("  intensity histogram  W1 \(show(histogramWasserstein, "%.5f"))  JS \(show(histogramJensenShannon, "%.5f"))")
        }
        return lines.joined(separator: "\n")
    }
}
