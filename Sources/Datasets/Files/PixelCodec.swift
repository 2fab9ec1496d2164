import Foundation
import ImageCodecs
import Torch

/// PNG and JPEG through the ImageCodecs C target (libpng, libjpeg), which catches their longjmp
/// errors so a corrupt file becomes a thrown message instead of a dead process.
public enum PixelCodec {
    /// The reason a file could not be decoded or encoded, without the file name (callers add it).
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Decodes PNG or JPEG bytes into [C, H, W] samples (uint8, or uint16 for 16-bit PNGs).
    public static func decode(_ data: Data) throws -> RawImage {
        var image = ic_image()
        var message = [CChar](repeating: 0, count: 512)
        let status = data.withUnsafeBytes { ic_decode($0.baseAddress, $0.count, &image, &message, message.count) }
        guard status == IC_OK else { throw Failure(reason: text(of: message)) }
        defer { ic_image_free(&image) }

        let height = Int(image.height), width = Int(image.width), channels = Int(image.channels)
        let dtype: DType = image.bit_depth == 16 ? .uint16 : .uint8
        let bytes = UnsafeRawBufferPointer(start: image.pixels, count: height * width * channels * dtype.size)
        let interleaved = Tensor(bytes: bytes, dtype: dtype, shape: [height, width, channels])
        let samples = interleaved.permuted(2, 0, 1).contiguous()

        var palette: Tensor?
        if image.is_palette != 0 {
            let entries = Int(image.palette_size)
            palette = withUnsafeBytes(of: image.palette) { raw in
                Tensor(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<(entries * 3)]), dtype: .uint8, shape: [entries, 3])
            }
        }
        return RawImage(samples: samples, bitDepth: Int(image.bit_depth), isPalette: image.is_palette != 0,
                        palette: palette, hasAlpha: channels == 2 || channels == 4)
    }

    /// Encodes [C, H, W] uint8 or uint16 samples (C = 1-4) as PNG bytes.
    public static func encodePNG(_ samples: Tensor) throws -> Data {
        let shape = samples.shape
        guard shape.count == 3, samples.dtype == .uint8 || samples.dtype == .uint16 else {
            throw Failure(reason: "PNG needs [C, H, W] uint8 or uint16 samples, not \(samples)")
        }
        let interleaved = samples.permuted(1, 2, 0).contiguous().bytes()
        let bitDepth: Int32 = samples.dtype == .uint16 ? 16 : 8
        return try encoded { out, size, message in
            interleaved.withUnsafeBytes {
                ic_encode_png($0.baseAddress, Int32(shape[2]), Int32(shape[1]), Int32(shape[0]), bitDepth,
                              out, size, message, 512)
            }
        }
    }

    /// Encodes [C, H, W] uint8 samples (C = 1 or 3) as a JPEG of the given quality.
    public static func encodeJPEG(_ samples: Tensor, quality: Int = 95) throws -> Data {
        let shape = samples.shape
        guard shape.count == 3, samples.dtype == .uint8 else {
            throw Failure(reason: "JPEG needs [C, H, W] uint8 samples, not \(samples)")
        }
        let interleaved = samples.permuted(1, 2, 0).contiguous().scalars(as: UInt8.self)
        return try encoded { out, size, message in
            ic_encode_jpeg(interleaved, Int32(shape[2]), Int32(shape[1]), Int32(shape[0]), Int32(quality),
                           out, size, message, 512)
        }
    }

    private static func encoded(
        _ body: (UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafeMutablePointer<Int>, UnsafeMutablePointer<CChar>) -> Int32
    ) throws -> Data {
        var buffer: UnsafeMutableRawPointer?
        var size = 0
        var message = [CChar](repeating: 0, count: 512)
        let status = body(&buffer, &size, &message)
        guard status == IC_OK, let buffer else { throw Failure(reason: text(of: message)) }
        defer { ic_free(buffer) }
        return Data(bytes: buffer, count: size)
    }

    /// A NUL-terminated C message buffer as a String.
    static func text(of message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
