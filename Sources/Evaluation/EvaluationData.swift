import Datasets
import Foundation
import ModelCard
import Torch
import Training

/// The samples an evaluation mode conditions on, in file-name order (never shuffled, docs/python-reference.md §9 #33):
/// the test split of `--seg_dir` (with `--img_dir`'s test images when they are shown), or a flat
/// folder of masks (`segmadiff sample --masks DIR`). Eval modes read only the test split (docs/python-reference.md §9 #28).
public struct EvaluationData {
    /// Nil for an unconditional model with nothing to show beside its samples.
    public let dataset: Dataset?
    public let samples: [SampleFiles]
    /// Where the masks come from, for messages and the manifest.
    public let source: String?
    /// The side of the sampled images.
    public let imageSize: Int

    /// Opens and validates what `model` needs; `images` asks for the test images too, when given.
    public static func open(_ options: EvaluationOptions, model: EvaluationModel, images: Bool) throws -> EvaluationData {
        let size = imageSize(options, model)
        let card = model.card
        var data = datasetOptions(model, images: images ? options.imageDirectory : nil, size: size)
        guard model.guided else {
            guard data.imageDirectory != nil else { return EvaluationData(dataset: nil, samples: [], source: nil, imageSize: size) }
            let dataset = try Dataset.open(data)
            return EvaluationData(dataset: dataset, samples: dataset.samples(.test), source: nil, imageSize: size)
        }
        let dataset: Dataset
        let source: String
        if let folder = options.maskFolder {
            data.imageDirectory = nil
            // A model of one seg type takes the folder as that type.
            let type = card.segTypes.count == 1 ? card.segTypes[0] : nil
            dataset = try Dataset.open(data, layout: try maskFolderLayout(folder, segType: type))
            source = folder
        } else if let maskDirectory = options.maskDirectory {
            data.maskDirectory = maskDirectory
            data.conditioning = contextConditioning(model, images: data.imageDirectory, masks: maskDirectory)
            dataset = try Dataset.open(data)
            source = maskDirectory
        } else {
            throw UsageError("the model in \(model.folder.unet.path) is segmentation-guided; pass --seg_dir with the masks (<seg type>/test/), or sample from a folder of masks with `segmadiff sample --masks DIR`")
        }
        if card.segmentationChannelMode == .multi, !card.segTypes.isEmpty, card.segTypes != dataset.segTypes {
            throw UsageError("\(source): the seg types are \(dataset.segTypes), but the model was trained on \(card.segTypes) (multi mode: one channel each); give masks with the model's seg types")
        }
        try model.checkChannels(segTypeCount: dataset.segTypes.count)
        if model.sliceConditioning.contextSlices > 0, dataset.options.conditioning.contextSlices == 0 {
            note("\(model.folder.path) takes \(model.sliceConditioning.contextSlices) context slices on each side, but \(source) has no \(SliceProvenance.fileName) beside it to find them: each mask stands for its neighbours too, as at a volume's edge")
        }
        notePreviousSlice(model)
        return EvaluationData(dataset: dataset, samples: dataset.samples(.test), source: source, imageSize: size)
    }

    /// The context slices a model takes, where the data's slices.csv can give them; none otherwise
    /// (the conditioner then lets each mask stand for its neighbours).
    private static func contextConditioning(_ model: EvaluationModel, images: String?, masks: String?) -> SliceConditioning {
        let k = model.sliceConditioning.contextSlices
        guard k > 0, SliceNeighbours.locate(imageDirectory: images, maskDirectory: masks) != nil else { return .none }
        return SliceConditioning(contextSlices: k)
    }

    /// Eval modes sample slices one by one: a model of the previous slice sees none.
    private static func notePreviousSlice(_ model: EvaluationModel) {
        guard model.sliceConditioning.previousSlice else { return }
        note("\(model.folder.path) takes the previous slice's image; these images are generated one by one, each as a volume's first slice (sample-volume generates a volume's slices in order)")
    }

    private static func note(_ text: String) {
        FileHandle.standardError.write(Data("segmadiff: note: \(text)\n".utf8))
    }

    /// `segmadiff translate`: the images of a flat folder (sorted by name), each with the mask of the
    /// same file name from a flat mask folder when the model is guided.
    public static func openTranslation(_ options: EvaluationOptions, model: EvaluationModel) throws -> EvaluationData {
        guard let imageFolder = options.translationImages else {
            throw UsageError("segmadiff translate needs --images DIR, the folder of images to translate")
        }
        let size = imageSize(options, model)
        let card = model.card
        let data = datasetOptions(model, images: imageFolder, size: size)
        let names = try fileNames(in: imageFolder, flag: "--images", kind: "image")
        var segTypes: [String] = []
        var samples = names.map { SampleFiles(name: $0, image: (imageFolder as NSString).appendingPathComponent($0), masks: []) }
        if model.guided {
            guard let maskFolder = options.maskFolder else {
                throw UsageError("the model in \(model.folder.unet.path) is segmentation-guided; pass --masks DIR with a mask for each image, named as the image")
            }
            let masks = Set(try fileNames(in: maskFolder, flag: "--masks", kind: "mask"))
            for index in samples.indices {
                let name = samples[index].name
                guard masks.contains(name) else {
                    throw UsageError("\(samples[index].image!): no mask named \(name) in \(maskFolder); give every image its mask under the same file name")
                }
                samples[index].masks = [(maskFolder as NSString).appendingPathComponent(name)]
            }
            segTypes = [card.segTypes.count == 1 ? card.segTypes[0] : URL(fileURLWithPath: maskFolder).standardizedFileURL.lastPathComponent]
        }
        let dataset = try Dataset.open(data, layout: DatasetLayout(segTypes: segTypes, samples: [.test: samples]))
        if model.guided {
            try model.checkChannels(segTypeCount: 1)
            if model.sliceConditioning.contextSlices > 0 {
                note("\(model.folder.path) takes \(model.sliceConditioning.contextSlices) context slices on each side, but a folder of masks has no neighbours: each mask stands for its neighbours too, as at a volume's edge")
            }
            notePreviousSlice(model)
        }
        return EvaluationData(dataset: dataset, samples: samples, source: options.maskFolder, imageSize: size)
    }

    /// The side of the sampled images: the model's, else `--img_size`.
    private static func imageSize(_ options: EvaluationOptions, _ model: EvaluationModel) -> Int {
        model.imageSize > 0 ? model.imageSize : options.imageSize
    }

    /// The test split read as `model` was trained to read its data (from its card).
    private static func datasetOptions(_ model: EvaluationModel, images: String?, size: Int) -> DatasetOptions {
        let card = model.card
        return DatasetOptions(imageDirectory: images, maskDirectory: nil, splits: [.test], imageChannels: model.imageChannels,
                              segmentationClasses: model.classCount, imageSize: size, normalization: card.normalization,
                              maskEncoding: card.maskEncoding, channelMode: card.segmentationChannelMode)
    }

    /// The image or mask files of a flat folder, sorted; anything else there is an error.
    static func fileNames(in folder: String, flag: String, kind: String) throws -> [String] {
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &directory), directory.boolValue else {
            throw UsageError("\(folder): \(kind) folder not found; check \(flag)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { name in
            var isFolder: ObjCBool = false
            let path = (folder as NSString).appendingPathComponent(name)
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) && !isFolder.boolValue
        }.sorted()
        if let odd = names.first(where: { !ImageFile.extensions.contains(($0 as NSString).pathExtension.lowercased()) }) {
            throw UsageError("\((folder as NSString).appendingPathComponent(odd)): unsupported file type in \(flag); use PNG, JPEG or NPY \(kind)s (or move it out of the folder)")
        }
        guard !names.isEmpty else { throw UsageError("\(folder): no \(kind) files; check \(flag)") }
        return names
    }

    /// A flat folder of mask files as one seg type (`segType`, else named after the folder), sorted by name.
    static func maskFolderLayout(_ folder: String, segType: String?) throws -> DatasetLayout {
        let names = try fileNames(in: folder, flag: "--masks", kind: "mask")
        let samples = names.map { SampleFiles(name: $0, image: nil, masks: [(folder as NSString).appendingPathComponent($0)]) }
        let type = segType ?? URL(fileURLWithPath: folder).standardizedFileURL.lastPathComponent
        return DatasetLayout(segTypes: [type], samples: [.test: samples])
    }

    public var segTypes: [String] { dataset?.segTypes ?? [] }

    /// The samples `indices` decoded and stacked: labels [B, T, S, S] int64 (per seg type, before
    /// merging), images [B, C, S, S] when the data have them, and the context slices' labels
    /// [B, 2k, T, S, S] when the model takes them and the data's slices.csv gives them.
    public func load(_ indices: [Int]) throws -> (labels: Tensor?, images: Tensor?, context: Tensor?) {
        guard let dataset else { return (nil, nil, nil) }
        // The test split's samples are the data set's own, so their neighbours are known.
        let own = samples == dataset.samples(.test)
        let prepared = try indices.map { own ? try dataset.load(.test, $0) : try dataset.load(samples[$0]) }
        func stacked(_ tensors: [Tensor]) -> Tensor? { tensors.count == indices.count && !tensors.isEmpty ? Tensor.stack(tensors) : nil }
        return (stacked(prepared.compactMap(\.labels)), stacked(prepared.compactMap(\.image)), stacked(prepared.compactMap(\.context)))
    }
}
