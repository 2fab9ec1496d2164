import Foundation
import ImageCodecs
import Torch

/// Writes a single-file NIfTI-1 volume, little-endian, gzip-compressed when the path ends in `.gz`:
/// outputs in scanner units, and test volumes.
public enum NiftiWriter {
    private static let codes: [DType: (Int16, Int16)] = [
        .uint8: (2, 8), .int16: (4, 16), .int32: (8, 32), .float32: (16, 32), .float64: (64, 64),
        .int8: (256, 8), .uint16: (512, 16), .int64: (1024, 64),
    ]

    /// `data` is [z, y, x]; `spacing` the voxel size along x, y, z.
    public static func write(_ data: Tensor, spacing: [Double] = [1, 1, 1], to path: String) throws {
        try write(data, spacing: spacing, geometry: .unknown, to: path)
    }

    /// `data` [z, y, x] on `grid` (DICOM's LPS coordinates): its spacing, and its placement as
    /// sform and qform.
    public static func write(_ data: Tensor, grid: VoxelGrid, to path: String) throws {
        try write(data, spacing: grid.spacing, geometry: NiftiGeometry(grid: grid), to: path)
    }

    /// `data` [z, y, x] placed in the scanner's space by `geometry` (copied field for field, so a
    /// volume written with another's geometry and spacing has its header geometry exactly);
    /// `display`, when given, becomes cal_min/cal_max, the intensity range viewers open it with.
    public static func write(_ data: Tensor, spacing: [Double], geometry: NiftiGeometry,
                             display: (low: Double, high: Double)? = nil, to path: String) throws {
        let shape = data.shape
        guard shape.count == 3, let (datatype, bitpix) = codes[data.dtype] else {
            throw DataError("\(path): NIfTI output needs a [z, y, x] volume of a numeric type, not \(data)")
        }
        var header = [UInt8](repeating: 0, count: 352)
        func put<T: FixedWidthInteger>(_ value: T, at offset: Int) {
            withUnsafeBytes(of: value.littleEndian) { header.replaceSubrange(offset..<(offset + $0.count), with: $0) }
        }
        func put(_ value: Float, at offset: Int) { put(value.bitPattern, at: offset) }
        put(Int32(348), at: 0)
        let dims: [Int16] = [3, Int16(shape[2]), Int16(shape[1]), Int16(shape[0]), 1, 1, 1, 1]
        for (i, dim) in dims.enumerated() { put(dim, at: 40 + 2 * i) }
        put(datatype, at: 70)
        put(bitpix, at: 72)
        let pixdim: [Float] = [Float(geometry.qfac < 0 ? -1 : 1)] + spacing.prefix(3).map(Float.init) + [0, 0, 0, 0]
        for (i, value) in pixdim.prefix(8).enumerated() { put(value, at: 76 + 4 * i) }
        put(Float(352), at: 108)
        put(Float(1), at: 112)
        header[123] = geometry.units
        if let display {
            put(Float(display.high), at: 124)
            put(Float(display.low), at: 128)
        }
        put(Int16(clamping: geometry.qformCode), at: 252)
        put(Int16(clamping: geometry.sformCode), at: 254)
        for (i, value) in (geometry.quaternion + geometry.offset).prefix(6).enumerated() { put(Float(value), at: 256 + 4 * i) }
        for (row, values) in geometry.sform.prefix(3).enumerated() {
            for (i, value) in values.prefix(4).enumerated() { put(Float(value), at: 280 + 16 * row + 4 * i) }
        }
        header.replaceSubrange(344..<348, with: Array("n+1".utf8) + [0])
        var bytes = header
        bytes.append(contentsOf: data.contiguous().bytes())

        if path.hasSuffix(".gz") {
            var message = [CChar](repeating: 0, count: 512)
            let status = bytes.withUnsafeBytes { ic_write_gzip(path, $0.baseAddress, $0.count, &message, message.count) }
            guard status == IC_OK else { throw DataError("\(path): \(PixelCodec.text(of: message))") }
        } else {
            do { try AtomicFile.write(Data(bytes), to: path) } catch { throw DataError("\(error)") }
        }
    }
}
