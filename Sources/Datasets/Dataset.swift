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
    /// Each split's slices in their volumes, when `options.conditioning` asks for neighbours.
    public let neighbours: [Split: SliceNeighbours]

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
        return Dataset(options: options, layout: layout, neighbours: try neighbours(options, layout))
    }

    /// Without the checks: for callers that validated already or build layouts by hand.
    public init(options: DatasetOptions, layout: DatasetLayout, neighbours: [Split: SliceNeighbours] = [:]) {
        self.options = options
        self.layout = layout
        self.neighbours = neighbours
        images = ImagePreprocessor(size: options.imageSize, normalization: options.normalization)
        masks = MaskPreprocessor(size: options.imageSize)
        maskEncoder = layout.segTypes.isEmpty ? nil : MaskEncoder(
            encoding: options.maskEncoding, channelMode: options.channelMode,
            classes: options.segmentationClasses ?? 256, segTypeCount: layout.segTypes.count)
    }

    /// Where the slices of each split lie in their volumes, from the import's slices.csv, when the
    /// options' conditioning needs neighbours.
    private static func neighbours(_ options: DatasetOptions, _ layout: DatasetLayout) throws -> [Split: SliceNeighbours] {
        let conditioning = options.conditioning
        guard !conditioning.isEmpty else { return [:] }
        let flag = conditioning.contextSlices > 0 ? "--context_slices \(conditioning.contextSlices)" : "--condition_on_previous_slice"
        guard let file = SliceNeighbours.locate(imageDirectory: options.imageDirectory, maskDirectory: options.maskDirectory) else {
            let folder = options.maskDirectory ?? options.imageDirectory ?? "the data folder"
            throw DataError("\(flag) needs the \(SliceProvenance.fileName) that import-nifti and import-dicom write beside images/ and masks/, but there is none beside \(folder); import the volumes with segmadiff import-nifti (or import-dicom), or train without \(flag)")
        }
        let rows = try SliceProvenance.read(file)
        var found: [Split: SliceNeighbours] = [:]
        for (split, samples) in layout.samples {
            found[split] = try SliceNeighbours(rows: rows, names: samples.map(\.name), file: file)
        }
        return found
    }

    public var segTypes: [String] { layout.segTypes }

    public func samples(_ split: Split) -> [SampleFiles] { layout.samples[split] ?? [] }

    /// One sample decoded and resized: image [C, S, S] float32 in [-1, 1], labels [T, S, S] int64.
    public func load(_ sample: SampleFiles) throws -> PreparedSample {
        try Engine.catching {
            PreparedSample(name: sample.name, image: try image(of: sample), labels: try labels(of: sample))
        }
    }

    /// Sample `index` of `split`, with its context slices' labels and its previous slice's image
    /// when the options' conditioning asks for them (see `SliceNeighbours` for which slices).
    public func load(_ split: Split, _ index: Int) throws -> PreparedSample {
        let files = samples(split)
        var prepared = try load(files[index])
        guard let neighbours = neighbours[split] else { return prepared }
        try Engine.catching {
            if options.conditioning.contextSlices > 0, prepared.labels != nil {
                let maps = try options.conditioning.offsets.map { try labels(of: files[neighbours.neighbour(of: index, offset: $0)])! }
                prepared.context = Tensor.stack(maps)
            }
            if options.conditioning.previousSlice, prepared.image != nil {
                prepared.previous = try neighbours.previous(of: index).flatMap { try image(of: files[$0]) }
            }
        }
        return prepared
    }

    /// [C, S, S] float32 in [-1, 1]; nil without an image file.
    private func image(of sample: SampleFiles) throws -> Tensor? {
        try sample.image.map { images(try ImageFile.read($0).intensityPlanes()) }
    }

    /// [T, S, S] int64; nil without masks.
    private func labels(of sample: SampleFiles) throws -> Tensor? {
        let labels = try sample.masks.map { path -> Tensor in
            guard let plane = try ImageFile.read(path).labelPlane() else {
                throw DataError("\(path): the mask has colour pixels; save labels as a grey or palette PNG")
            }
            return masks(plane)
        }
        return labels.isEmpty ? nil : Tensor.cat(labels, dim: 0)
    }
}

/// One decoded, resized sample.
public struct PreparedSample: @unchecked Sendable {
    public var name: String
    /// [C, S, S] float32 in [-1, 1]; nil in mask-only evaluation.
    public var image: Tensor?
    /// [T, S, S] int64, one label map per seg type; nil without masks.
    public var labels: Tensor?
    /// [2k, T, S, S] int64: the context slices' labels, in `SliceConditioning.offsets` order.
    public var context: Tensor?
    /// [C, S, S] float32 in [-1, 1]: the previous slice's image; nil where there is none.
    public var previous: Tensor?
}
