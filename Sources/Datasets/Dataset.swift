import ModelCard
import Torch

/// A validated data set: its files found and paired, every file read once and checked.
///
///     let data = try Dataset.open(options)            // throws DataError before any work starts
///     let loader = Loader(data, split: .train, options: LoaderOptions(batchSize: 16, seed: 0))
public final class Dataset: Sendable {
    public let options: DatasetOptions
    public let layout: DatasetLayout
    public let images: ImagePreprocessor
    public let masks: MaskPreprocessor
    /// Nil without masks (unconditional models).
    public let maskEncoder: MaskEncoder?

    /// Finds, pairs and validates the files the options' splits need.
    public static func open(_ options: DatasetOptions) throws -> Dataset {
        // Whether img_size suits the U-Net depth is the model's question (checked with its config).
        if options.imageSize <= 0 {
            throw DataError("--img_size \(options.imageSize) must be positive; use for example 256")
        }
        if let classes = options.segmentationClasses, classes < 2 {
            throw DataError("--num_segmentation_classes \(classes) is too small; count the background too (2 or more)")
        }
        let layout = try DatasetLayout.discover(options)
        return try open(options, layout: layout)
    }

    /// Validates the files of a layout the caller found, as `open(_:)` does with a discovered one.
    public static func open(_ options: DatasetOptions, layout: DatasetLayout) throws -> Dataset {
        try DatasetValidator.validate(layout, options)
        return Dataset(options: options, layout: layout)
    }

    /// Without the checks: for callers that validated already or build layouts by hand.
    public init(options: DatasetOptions, layout: DatasetLayout) {
        self.options = options
        self.layout = layout
        images = ImagePreprocessor(size: options.imageSize, normalization: options.normalization)
        masks = MaskPreprocessor(size: options.imageSize)
        maskEncoder = layout.segTypes.isEmpty ? nil : MaskEncoder(
            encoding: options.maskEncoding, channelMode: options.channelMode,
            classes: options.segmentationClasses ?? 256, segTypeCount: layout.segTypes.count)
    }

    public var segTypes: [String] { layout.segTypes }

    public func samples(_ split: Split) -> [SampleFiles] { layout.samples[split] ?? [] }

    /// One sample decoded and resized: image [C, S, S] float32 in [-1, 1], labels [T, S, S] int64.
    public func load(_ sample: SampleFiles) throws -> PreparedSample {
        try Engine.catching {
            let image = try sample.image.map { images(try ImageFile.read($0).intensityPlanes()) }
            let labels = try sample.masks.map { path -> Tensor in
                guard let plane = try ImageFile.read(path).labelPlane() else {
                    throw DataError("\(path): the mask has colour pixels; save labels as a grey or palette PNG")
                }
                return masks(plane)
            }
            return PreparedSample(name: sample.name, image: image, labels: labels.isEmpty ? nil : Tensor.cat(labels, dim: 0))
        }
    }
}

/// One decoded, resized sample.
public struct PreparedSample: @unchecked Sendable {
    public var name: String
    /// [C, S, S] float32 in [-1, 1]; nil in mask-only evaluation.
    public var image: Tensor?
    /// [T, S, S] int64, one label map per seg type; nil without masks.
    public var labels: Tensor?
}
