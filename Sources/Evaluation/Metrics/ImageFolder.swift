import Datasets
import Foundation
import ModelCard
import Torch
import Training

/// The image files directly inside a folder (no recursion), sorted by name: a folder of generated
/// images (`samples_many_N/`) or a flat split of real ones (`IMG/test/`).
struct ImageFolder {
    let path: String
    let files: [String]

    init(_ path: String, role: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw UsageError("\(role) folder \(path) does not exist")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: path)
        files = names.filter { name in
            !name.hasPrefix(".") && ImageFile.extensions.contains((name as NSString).pathExtension.lowercased())
        }.sorted()
        self.path = URL(fileURLWithPath: path).standardizedFileURL.path
        guard !files.isEmpty else {
            throw UsageError("\(role) folder \(path) holds no images (.png, .jpg, .npy)")
        }
    }

    func url(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// The mask of generated image `name` in this (mask) folder: the same file name, or the same
    /// stem as a PNG (an NPY image's mask is still a PNG label map).
    func mask(for name: String) -> String? {
        if files.contains(name) { return url(name) }
        let png = (name as NSString).deletingPathExtension + ".png"
        return files.contains(png) ? url(png) : nil
    }
}

/// Reads images and masks as the segmenter expects them: [C, S, S] in [-1, 1] and [S, S] int64.
struct SegmenterInput {
    let config: SegmenterConfig

    func image(_ path: String, normalization: IntensityNormalization) throws -> Tensor {
        let planes = try ImageFile.read(path).intensityPlanes()
        guard planes.channels == config.imageChannels else {
            throw UsageError("\(path) has \(RawImage.channelName(planes.channels)), but the segmenter reads \(RawImage.channelName(config.imageChannels))")
        }
        return try Engine.catching { ImagePreprocessor(size: config.imageSize, normalization: normalization)(planes) }
    }

    func labels(_ path: String) throws -> Tensor {
        guard let plane = try ImageFile.read(path).labelPlane() else {
            throw UsageError("\(path): the mask has colour pixels; save labels as a grey or palette PNG")
        }
        let lowest = Int(plane.min().item), highest = Int(plane.max().item)
        guard lowest >= 0 else { throw UsageError("\(path) has label \(lowest); labels must be 0-\(config.classes - 1)") }
        guard highest < config.classes else {
            throw UsageError("\(path) has label \(highest), but the segmenter knows \(config.classes) classes (labels 0-\(config.classes - 1))")
        }
        return try Engine.catching { MaskPreprocessor(size: config.imageSize)(plane).squeezed(0) }
    }
}
