import Foundation
import ModelCard

/// What a trained segmenter is: its shape, its classes and how its input images were scaled.
/// Saved as `segmenter.json` beside the weights, so `segmadiff metrics` needs no flags to rebuild it.
public struct SegmenterConfig: Codable, Equatable, Sendable {
    /// Image channels the network reads.
    public var imageChannels: Int
    /// K, background (label 0) included.
    public var classes: Int
    /// The side images are resized to before segmentation.
    public var imageSize: Int
    /// Channels per level, finest first; the last level is the bottleneck whose pooled activations
    /// are the features FID and KID compare.
    public var widths: [Int]
    /// How the real images were scaled to [-1, 1] in training (applied to real images again in metrics).
    public var normalization: IntensityNormalization
    /// The epoch (1-based) whose weights were kept, chosen by val Dice.
    public var bestEpoch: Int?
    /// The val-split Dice that chose the epoch (mean over non-background classes). It selected the
    /// weights, so it overstates their accuracy; `testDice` is the accuracy.
    public var validationDice: Double?
    public var validationDicePerClass: [Double?]?
    /// Dice of the kept weights on the test split (mean over non-background classes, then per class
    /// 1..K-1); nil when the data had no test split or the segmenter predates it.
    public var testDice: Double?
    public var testDicePerClass: [Double?]?
    /// Images the test Dice was measured on.
    public var testImages: Int?
    /// Whether training jittered brightness, contrast and gamma (`IntensityJitter`); nil for
    /// segmenters saved before the option existed (they were trained without).
    public var intensityJitter: Bool?

    public init(imageChannels: Int, classes: Int, imageSize: Int, widths: [Int] = SegmenterConfig.defaultWidths,
                normalization: IntensityNormalization = .none) {
        self.imageChannels = imageChannels
        self.classes = classes
        self.imageSize = imageSize
        self.widths = widths
        self.normalization = normalization
    }

    /// About 0.5 M parameters: small enough to train on CPU in minutes, deep enough for 256 px slices.
    public static let defaultWidths = [16, 32, 64, 128]

    /// The length of a feature vector (the bottleneck's channel count).
    public var featureDimension: Int { widths.last ?? 0 }

    /// Image sides must halve cleanly at every level below the first.
    public var sizeFactor: Int { 1 << max(0, widths.count - 1) }

    enum CodingKeys: String, CodingKey {
        case imageChannels = "num_img_channels"
        case classes = "num_segmentation_classes"
        case imageSize = "img_size"
        case widths
        case normalization
        case bestEpoch = "best_epoch"
        case validationDice = "val_dice"
        case validationDicePerClass = "val_dice_per_class"
        case testDice = "test_dice"
        case testDicePerClass = "test_dice_per_class"
        case testImages = "test_images"
        case intensityJitter = "intensity_jitter"
    }

    /// Why this configuration cannot be built, or nil.
    public var problem: String? {
        if imageChannels < 1 { return "--num_img_channels must be at least 1 (got \(imageChannels))" }
        if classes < 2 { return "--num_segmentation_classes \(classes) is too small; count the background too (2 or more)" }
        if widths.isEmpty || widths.contains(where: { $0 < 1 || $0 % SegmentationUNet.groupSize != 0 }) {
            return "segmenter widths \(widths) must be positive multiples of \(SegmentationUNet.groupSize) (the GroupNorm group size)"
        }
        if imageSize < 1 || imageSize % sizeFactor != 0 {
            return "--img_size \(imageSize) must be a positive multiple of \(sizeFactor) for a segmenter with \(widths.count) levels"
        }
        return nil
    }
}
