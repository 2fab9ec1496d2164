import Datasets
import ModelCard
import Torch

/// What `segmadiff train-segmenter` asks for.
public struct SegmenterTrainingOptions: Sendable {
    /// IMG with train/ and val/.
    public var imageDirectory: String
    /// MASK/<seg type>/{train,val}/, the same names as the images; seg types merged into one label map.
    public var maskDirectory: String
    /// The segmenter is written to `outputDirectory`/segmenter/.
    public var outputDirectory: String
    public var classes: Int
    public var imageSize: Int
    public var imageChannels: Int
    public var normalization: IntensityNormalization
    public var widths: [Int]
    public var epochs: Int
    public var batchSize: Int
    public var learningRate: Double
    /// Weight of the soft Dice term added to cross-entropy; 0 trains on cross-entropy alone.
    public var diceWeight: Double
    /// Random left-right flips of training images: the generated images the segmenter will judge are
    /// not the training images, so it should not learn them by position.
    public var flips: Bool
    /// Random brightness, contrast and gamma per training image (`IntensityJitter`), so the segmenter
    /// reads anatomy rather than the training scans' exact grey levels.
    public var intensityJitter: Bool
    public var seed: UInt64
    public var device: Device
    /// Replace a segmenter already in the output folder.
    public var overwrite: Bool
    /// Draw a progress bar and print a line per epoch.
    public var verbose: Bool
    /// The pairs to train on in place of IMG/train (with masks in the data set's seg-type order):
    /// for training sets assembled from several sources, such as real and synthetic pairs. The
    /// epoch is still chosen on IMG/val and the accuracy measured on IMG/test. Nil: IMG/train.
    public var trainingSamples: [SampleFiles]?

    public init(imageDirectory: String, maskDirectory: String, outputDirectory: String, classes: Int, imageSize: Int,
                imageChannels: Int = 1, normalization: IntensityNormalization = .none,
                widths: [Int] = SegmenterConfig.defaultWidths, epochs: Int = 30, batchSize: Int = 16,
                learningRate: Double = 2e-3, diceWeight: Double = 1, flips: Bool = true, intensityJitter: Bool = true, seed: UInt64 = 0,
                device: Device = .cpu, overwrite: Bool = false, verbose: Bool = true,
                trainingSamples: [SampleFiles]? = nil) {
        self.imageDirectory = imageDirectory
        self.maskDirectory = maskDirectory
        self.outputDirectory = outputDirectory
        self.classes = classes
        self.imageSize = imageSize
        self.imageChannels = imageChannels
        self.normalization = normalization
        self.widths = widths
        self.epochs = epochs
        self.batchSize = batchSize
        self.learningRate = learningRate
        self.diceWeight = diceWeight
        self.flips = flips
        self.intensityJitter = intensityJitter
        self.seed = seed
        self.device = device
        self.overwrite = overwrite
        self.verbose = verbose
        self.trainingSamples = trainingSamples
    }
}
