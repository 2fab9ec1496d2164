import Foundation
import Torch

/// Reading and writing the image and mask files of a data set: PNG (8/16-bit, grey, RGB, palette),
/// JPEG and NPY. Every failure is a `DataError` naming the file.
public enum ImageFile {
    /// File name extensions read as images (compared lower-cased).
    public static let extensions: Set<String> = ["png", "jpg", "jpeg", "npy"]

    public static func read(_ path: String) throws -> RawImage {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw DataError("\(path): cannot be read (\(reason(error))); check that it exists and is readable")
        }
        do {
            if (path as NSString).pathExtension.lowercased() == "npy" { return try rawImage(npy: NPYFile.decode(data), path) }
            return try PixelCodec.decode(data)
        } catch let error as DataError {
            throw error
        } catch {
            throw DataError("\(path): cannot be decoded (\(error)); replace or remove the file")
        }
    }

    /// Writes [C, H, W] uint8 or uint16 samples as a PNG, atomically.
    public static func writePNG(_ samples: Tensor, to path: String) throws {
        let data: Data
        do { data = try PixelCodec.encodePNG(samples) } catch { throw DataError("\(path): \(error)") }
        try write(data, to: path)
    }

    /// Writes any numeric tensor as an NPY file, atomically.
    public static func writeNPY(_ tensor: Tensor, to path: String) throws {
        let data: Data
        do { data = try NPYFile.encode(tensor) } catch { throw DataError("\(path): \(error)") }
        try write(data, to: path)
    }

    private static func write(_ data: Data, to path: String) throws {
        do { try AtomicFile.write(data, to: path) } catch { throw DataError("\(error)") }
    }

    /// NPY arrays are (H, W) or (C, H, W), as the reference's `np.load` path expects.
    private static func rawImage(npy array: Tensor, _ path: String) throws -> RawImage {
        let shape = array.shape
        let samples: Tensor
        switch shape.count {
        case 2: samples = array.unsqueezed(0)
        case 3: samples = array
        default:
            throw DataError("\(path): an NPY image must be (H, W) or (C, H, W), not \(shape); reshape it")
        }
        // NaN or infinity would pass through normalisation and turn a whole batch's loss into NaN.
        if samples.dtype.isFloatingPoint, samples.count > 0, samples.isFinite().all().item == 0 {
            throw DataError("\(path): the NPY image holds NaN or infinite values; replace them (for example with numpy.nan_to_num) or remove the file")
        }
        let array = array.dtype == .bool ? samples.to(.uint8) : samples
        let bitDepth: Int? = switch array.dtype {
        case .uint8: 8
        case .uint16: 16
        default: nil
        }
        return RawImage(samples: array, bitDepth: bitDepth)
    }

    private static func reason(_ error: Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.code == NSFileReadNoSuchFileError { return "no such file" }
        return nsError.localizedDescription
    }
}
