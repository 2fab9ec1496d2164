import Datasets
import Evaluation
import Foundation
import Torch

/// Label maps between files, the page and the engine: read from a mask file at the model's size,
/// sent as JSON numbers, coloured in the class palette as transparent overlays.
enum MaskImages {
    /// The largest image the studio decodes or accepts, per side: far above any model it samples.
    static let maximumSide = 2048

    /// A mask file's labels [1, S, S] int64, resized (nearest) to `size`.
    static func labels(file path: String, size: Int) throws -> Tensor {
        let raw = try decode(path)
        guard let plane = raw.labelPlane() else {
            throw StudioError.badRequest("\((path as NSString).lastPathComponent): the mask has colour pixels; masks are grey label maps")
        }
        return MaskPreprocessor(size: size)(plane)
    }

    /// A PNG, JPEG or NPY file, refused above the size cap before its pixels are used.
    static func decode(_ path: String) throws -> RawImage {
        let raw: RawImage
        do {
            raw = try ImageFile.read(path)
        } catch {
            throw StudioError.badRequest("\((path as NSString).lastPathComponent): cannot be read as an image (\(error))")
        }
        guard raw.samples.rank == 3, raw.width <= maximumSide, raw.height <= maximumSide else {
            throw StudioError(.payloadTooLarge, "\((path as NSString).lastPathComponent): larger than \(maximumSide) x \(maximumSide)")
        }
        return raw
    }

    /// `{"width", "height", "labels": [row-major]}`.
    static func json(_ labels: Tensor) -> [String: Any] {
        let map = LabelMap(labels)
        return ["width": map.width, "height": map.height, "labels": map.labels.map(Int.init)]
    }

    /// The labels the page sends, checked: a square of the model's size, each label a class.
    static func labels(from object: Any?, size: Int, classes: Int) throws -> Tensor {
        guard let object = object as? [String: Any] else { throw StudioError.badRequest("mask missing: send {\"width\", \"height\", \"labels\"}") }
        guard let width = object["width"] as? Int, let height = object["height"] as? Int,
              let values = object["labels"] as? [Any] else {
            throw StudioError.badRequest("mask needs integer width and height and a labels array")
        }
        guard width == size, height == size else {
            throw StudioError.badRequest("mask is \(width) x \(height); this model samples \(size) x \(size)")
        }
        guard values.count == width * height else {
            throw StudioError.badRequest("mask has \(values.count) labels for \(width) x \(height) pixels")
        }
        var labels = [Int64](repeating: 0, count: values.count)
        for (index, value) in values.enumerated() {
            guard let label = value as? Int, label >= 0, label < classes else {
                throw StudioError.badRequest("mask label \(value) at pixel \(index) is not a class of this model (0-\(classes - 1))")
            }
            labels[index] = Int64(label)
        }
        return Tensor(labels, shape: [1, height, width])
    }

    /// The labels [1, H, W] as a transparent RGBA PNG in the class palette (background clear).
    static func overlayPNG(_ labels: Tensor, classes: Int) throws -> Data {
        let top = labels.max().item
        guard top.isFinite, top < 65536 else { throw StudioError.badRequest("the mask's labels are not class numbers") }
        let count = max(classes, Int(top) + 1, 1)
        var table = [UInt8]()
        for label in 0..<count {
            let colour = MaskPalette.colour(label)
            table += [colour.red, colour.green, colour.blue, label == 0 ? 0 : 255]
        }
        let palette = Tensor(table, shape: [count, 4])
        let shape = labels.shape
        let flat = labels.reshaped([-1]).to(.int64).clamped(min: 0).to(.int64)
        let rgba = palette.indexSelect(dim: 0, index: flat).reshaped([shape[1], shape[2], 4]).permuted(2, 0, 1).contiguous()
        return try PixelCodec.encodePNG(rgba)
    }

    /// A grid of grey masks as labels. Training and eval grids scale each grid's labels min-max to
    /// 0-255, so the largest label present becomes 255: the grey levels are multiples of 255/m for
    /// that largest label m, which the closest two levels give (capped at the model's K - 1).
    static func gridLabels(_ raw: RawImage, classes: Int) -> Tensor {
        let grey = raw.samples.narrowed(dim: 0, start: 0, length: 1).to(.float32) / (raw.integerMaximum ?? 255) * 255
        let levels = Set(grey.rounded().to(.uint8).contiguous().scalars(as: UInt8.self)).union([0]).sorted()
        let closest = zip(levels, levels.dropFirst()).map { Double($1) - Double($0) }.min() ?? 255
        let largest = min(max(Int((255 / closest).rounded()), 1), max(classes - 1, 1))
        return (grey / 255 * Double(largest)).rounded().to(.int64)
    }

    /// The labels [1, H, W] as a grey PNG of the labels themselves (16-bit above 255).
    static func labelsPNG(_ labels: Tensor) throws -> Data {
        try PixelCodec.encodePNG(labels.to(labels.max().item > 255 ? .uint16 : .uint8))
    }
}
