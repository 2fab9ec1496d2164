import Foundation
import Torch

/// NumPy's `.npy` format (versions 1-3): a little header naming the element type and shape, then
/// the raw elements. Only little-endian numeric arrays are read; Fortran order is transposed back.
public enum NPYFile {
    public struct Failure: Error, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    private static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"

    private static let dtypes: [String: DType] = [
        "u1": .uint8, "i1": .int8, "u2": .uint16, "i2": .int16, "i4": .int32, "i8": .int64,
        "f4": .float32, "f8": .float64, "b1": .bool,
    ]

    /// The array in `data`, as a tensor of its own element type and shape.
    public static func decode(_ data: Data) throws -> Tensor {
        let bytes = [UInt8](data.prefix(12))
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw Failure(reason: "not an NPY file") }
        let major = bytes[6]
        let lengthSize = major == 1 ? 2 : 4
        guard major >= 1, major <= 3, bytes.count >= 8 + lengthSize else {
            throw Failure(reason: "unsupported NPY version \(major)")
        }
        var headerLength = 0
        for i in 0..<lengthSize { headerLength |= Int(bytes[8 + i]) << (8 * i) }
        let headerStart = 8 + lengthSize, dataStart = headerStart + headerLength
        guard data.count >= dataStart,
              let header = String(data: data.subdata(in: (data.startIndex + headerStart)..<(data.startIndex + dataStart)), encoding: .utf8)
        else { throw Failure(reason: "the NPY header is cut short") }

        let descr = try value(of: "descr", in: header)
        let (dtype, shape, fortran) = try parse(descr: descr, header: header)
        // Checked before anything is allocated: the header may claim any shape (4e9 x 4e9 overflows Int).
        guard let byteCount = ElementCount.bytes(shape, elementSize: dtype.size) else {
            throw Failure(reason: "the NPY header claims an impossible shape \(shape) (its sides multiply past 2^63); the file is corrupt")
        }
        guard data.count - dataStart >= byteCount else {
            throw Failure(reason: "the file ends early: \(shape) \(dtype) needs \(byteCount) bytes of data, it has \(data.count - dataStart)")
        }
        let tensor = data.withUnsafeBytes { raw in
            let elements = UnsafeRawBufferPointer(rebasing: raw[dataStart..<(dataStart + byteCount)])
            return Tensor(bytes: elements, dtype: dtype, shape: fortran ? shape.reversed() : shape)
        }
        guard fortran, shape.count > 1 else { return tensor }
        return tensor.permuted(Array((0..<shape.count).reversed())).contiguous()
    }

    /// `tensor` as an NPY (version 1.0, little-endian, C order) file's bytes.
    public static func encode(_ tensor: Tensor) throws -> Data {
        guard let code = dtypes.first(where: { $0.value == tensor.dtype })?.key else {
            throw Failure(reason: "NPY cannot hold \(tensor.dtype)")
        }
        let order: Character = tensor.dtype.size == 1 ? "|" : "<"
        let dims = tensor.shape.map(String.init)
        let shapeText = dims.count == 1 ? "(\(dims[0]),)" : "(\(dims.joined(separator: ", ")))"
        var header = "{'descr': '\(order)\(code)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad so the data start at a multiple of 64 bytes, as numpy does; the header ends in a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: tensor.contiguous().bytes())
        return data
    }

    private static func parse(descr: String, header: String) throws -> (DType, [Int], Bool) {
        let trimmed = descr.trimmingCharacters(in: CharacterSet(charactersIn: "'\" "))
        guard let endian = trimmed.first, let dtype = dtypes[String(trimmed.dropFirst())] else {
            throw Failure(reason: "unsupported NPY element type \(trimmed) (use uint8, uint16, int16, float32 or float64)")
        }
        if endian == ">" && dtype.size > 1 {
            throw Failure(reason: "big-endian NPY data (\(trimmed)); save it little-endian (array.astype('<\(trimmed.dropFirst())'))")
        }
        let fortran = try value(of: "fortran_order", in: header).hasPrefix("True")
        let shapeText = try value(of: "shape", in: header)
        let inner = shapeText.drop { $0 != "(" }.dropFirst().prefix { $0 != ")" }
        let dims = inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = try dims.map { text -> Int in
            guard let n = Int(text), n >= 0 else { throw Failure(reason: "bad NPY shape \(shapeText)") }
            return n
        }
        return (dtype, shape, fortran)
    }

    /// The raw text after `'key':` in the header dictionary, up to the next top-level comma.
    private static func value(of key: String, in header: String) throws -> String {
        guard let range = header.range(of: "'\(key)':") else { throw Failure(reason: "the NPY header has no '\(key)'") }
        var text = header[range.upperBound...].drop { $0 == " " }
        if text.first == "(" {
            text = text.prefix { $0 != ")" } + ")"
            return String(text)
        }
        return String(text.prefix { $0 != "," && $0 != "}" }).trimmingCharacters(in: .whitespaces)
    }
}
