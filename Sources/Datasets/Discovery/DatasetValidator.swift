import Foundation
import Torch

/// Reads every file of a data set once, before any work starts (docs/architecture.md §10), and reports the first
/// problem in file order: an unreadable file, a wrong channel count, a colour or non-integer mask,
/// a label >= K, a mask whose size differs from its image's.
enum DatasetValidator {
    static func validate(_ layout: DatasetLayout, _ options: DatasetOptions) throws {
        let samples = options.splits.flatMap { layout.samples[$0] ?? [] }
        let problems = parallelMap(samples.count) { problem(in: samples[$0], options) }
        if let first = problems.lazy.compactMap({ $0 }).first { throw first }
    }

    private static func problem(in sample: SampleFiles, _ options: DatasetOptions) -> DataError? {
        // The file being checked, so that an unexpected failure names it (a mask's, not its image's).
        var current = sample.image ?? sample.masks.first ?? sample.name
        do {
            var size: (path: String, height: Int, width: Int)?
            if let path = sample.image {
                let image = try checkedImage(path, options)
                size = (path, image.height, image.width)
            }
            for path in sample.masks {
                current = path
                let labels = try checkedLabels(path, options)
                let (height, width) = (labels.shape[1], labels.shape[2])
                if let size, size.height != height || size.width != width {
                    let whose = sample.image == nil ? "the mask" : "its image"
                    throw DataError("\(path) is \(width)x\(height), but \(whose) \(size.path) is \(size.width)x\(size.height); a mask must have its image's size")
                }
                size = size ?? (path, height, width)
            }
            return nil
        } catch let error as DataError {
            return error
        } catch {
            return DataError("\(current): \(error)")
        }
    }

    private static func checkedImage(_ path: String, _ options: DatasetOptions) throws -> RawImage {
        let planes = try Engine.catching { try ImageFile.read(path).intensityPlanes() }
        guard planes.height > 0, planes.width > 0 else { throw DataError("\(path): the image is empty (0 pixels); replace or remove it") }
        if planes.channels != options.imageChannels {
            let fix = planes.channels == 1 || planes.channels == 3
                ? "convert it or pass --num_img_channels \(planes.channels)" : "pass --num_img_channels \(planes.channels)"
            throw DataError("\(path) has \(RawImage.channelName(planes.channels)), but --num_img_channels is \(options.imageChannels); \(fix)")
        }
        if case .none = options.normalization, planes.integerMaximum == nil, planes.samples.dtype != .float32, planes.samples.dtype != .float64 {
            throw DataError("\(path) holds \(planes.samples.dtype) values with no fixed range; choose --normalization minmax or window LOW,HIGH")
        }
        return planes
    }

    /// The label map [1, H, W] of a mask file, checked against the class count.
    private static func checkedLabels(_ path: String, _ options: DatasetOptions) throws -> Tensor {
        let raw = try ImageFile.read(path)
        return try Engine.catching {
            guard let labels = raw.labelPlane() else {
                throw DataError("\(path): the mask has colour pixels; save labels as a grey or palette PNG (one integer label per pixel)")
            }
            if raw.samples.dtype.isFloatingPoint, raw.samples.ne(raw.samples.rounded()).any().item != 0 {
                throw DataError("\(path): the mask holds non-integer values; save integer labels")
            }
            guard labels.count > 0 else { throw DataError("\(path): the mask is empty (0 pixels); replace or remove it") }
            let low = Int(labels.min().item), high = Int(labels.max().item)
            if low < 0 { throw DataError("\(path) has label \(low); labels must be 0 or more") }
            if let classes = options.segmentationClasses, high >= classes {
                throw DataError("\(path) has label \(high), but --num_segmentation_classes is \(classes) (labels 0-\(classes - 1)); pass --num_segmentation_classes \(high + 1) or correct the mask")
            }
            return labels
        }
    }
}
