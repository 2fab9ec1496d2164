import Foundation
import ImageCodecs
import Torch

/// A NIfTI-1 volume (`.nii`, or `.nii.gz` through zlib), little- or big-endian.
public struct NiftiVolume: @unchecked Sendable {
    /// Voxels along x, y, z (the header's dim[1...3]; missing dimensions are 1).
    public var dims: [Int]
    /// Voxel size in the header's units (pixdim[1...3]).
    public var spacing: [Double]
    /// The header's datatype code (2 uint8, 4 int16, 8 int32, 16 float32, 64 float64, 256 int8,
    /// 512 uint16, 768 uint32, 1024 int64).
    public var datatype: Int
    /// [z, y, x] (x varies fastest in the file, so this is its C-order view). Scaled by
    /// scl_slope/scl_inter (to float64) when the header asks for it.
    public var data: Tensor
    /// The header's qform and sform: where the voxels lie in the scanner's space.
    public var geometry: NiftiGeometry = .unknown

    /// The voxel-to-world matrix (3 x 4, rows x, y, z) a viewer places the voxels with.
    public var affine: [[Double]] { geometry.affine(spacing: spacing) }

    /// The anatomical direction of the voxel axes (e.g. RAS).
    public var orientation: VoxelOrientation { geometry.orientation(spacing: spacing) }

    public init(dims: [Int], spacing: [Double], datatype: Int, data: Tensor) {
        self.dims = dims
        self.spacing = spacing
        self.datatype = datatype
        self.data = data
    }

    public static func read(_ path: String) throws -> NiftiVolume {
        do {
            // The header first, then only as many bytes as it describes: a .nii.gz that inflates to
            // far more (a gzip bomb, or junk after the voxels) is never inflated past that.
            let header = try Header(readWhole(path, limit: 348))
            return try parse(readWhole(path, limit: header.end))
        } catch let failure as NiftiFailure {
            throw DataError("\(path): \(failure.reason)")
        }
    }

    struct NiftiFailure: Error { let reason: String }

    /// The most voxels a volume may have (2^30: 8 GiB once scaled to float64), checked against the
    /// header before anything is allocated.
    static let maximumVoxels = 1 << 30

    private static let elementTypes: [Int: DType] = [
        2: .uint8, 4: .int16, 8: .int32, 16: .float32, 64: .float64, 256: .int8, 512: .uint16, 1024: .int64,
    ]

    static func readWhole(_ path: String, limit: Int) throws -> [UInt8] {
        var buffer: UnsafeMutableRawPointer?
        var size = 0
        var message = [CChar](repeating: 0, count: 512)
        guard ic_read_maybe_gzip(path, limit, &buffer, &size, &message, message.count) == IC_OK else {
            throw DataError("\(path): cannot be read (\(PixelCodec.text(of: message))); check the path")
        }
        guard let buffer else { return [] }
        defer { ic_free(buffer) }
        return [UInt8](UnsafeRawBufferPointer(start: buffer, count: size))
    }

    /// The fields of a NIfTI-1 header that say where the voxels are and how many, each checked
    /// (a NaN or negative vox_offset, zero or negative dims) before anything is read or allocated.
    struct Header {
        var bigEndian: Bool
        var dims: [Int]
        var spacing: [Double]
        var datatype: Int
        var elementSize: Int
        var offset: Int
        var slope: Double
        var intercept: Double
        var geometry: NiftiGeometry
        var voxelCount: Int { dims.reduce(1, *) }
        /// The end of the voxel data in the file.
        var end: Int { offset + voxelCount * elementSize }

        init(_ bytes: [UInt8]) throws {
            guard bytes.count >= 348 else { throw NiftiFailure(reason: "too short for a NIfTI header (\(bytes.count) bytes)") }
            switch HeaderReader(bytes: bytes, bigEndian: false).int32(0) {
            case 348: bigEndian = false
            case Int32(348).byteSwapped: bigEndian = true
            case 540, Int32(540).byteSwapped: throw NiftiFailure(reason: "NIfTI-2 files are not supported; convert to NIfTI-1 (for example with nibabel)")
            default: throw NiftiFailure(reason: "not a NIfTI-1 file (sizeof_hdr is not 348)")
            }
            let h = HeaderReader(bytes: bytes, bigEndian: bigEndian)
            let magic = String(decoding: bytes[344..<347], as: UTF8.self)
            guard magic == "n+1" else {
                throw NiftiFailure(reason: magic == "ni1" ? "a .hdr/.img pair; convert it to a single .nii file" : "bad NIfTI magic \"\(magic)\"")
            }
            let rank = Int(h.int16(40))
            guard (1...7).contains(rank) else { throw NiftiFailure(reason: "bad dimension count \(rank)") }
            let sides = (1...rank).map { Int(h.int16(40 + 2 * $0)) }
            if let bad = sides.first(where: { $0 < 1 }) {
                throw NiftiFailure(reason: "the header gives a dimension of \(bad) voxels (dims \(sides)); every dimension must be at least 1 (corrupt header)")
            }
            dims = (0..<3).map { $0 < rank ? sides[$0] : 1 }
            let extra = sides.dropFirst(3).reduce(1, *)
            if extra > 1 { throw NiftiFailure(reason: "a \(rank)-D volume with \(extra) frames; only 3-D volumes can be sliced") }
            let voxels = dims.reduce(1, *)
            guard voxels <= NiftiVolume.maximumVoxels else {
                throw NiftiFailure(reason: "the header gives \(dims.map(String.init).joined(separator: "x")) = \(voxels) voxels, more than segmadiff reads (\(NiftiVolume.maximumVoxels)); crop or downsample the volume")
            }
            spacing = (1...3).map { Double(h.float32(76 + 4 * $0)) }
            datatype = Int(h.int16(70))
            guard let size = datatype == 768 ? 4 : NiftiVolume.elementTypes[datatype]?.size else {
                throw NiftiFailure(reason: "unsupported NIfTI datatype \(datatype) (complex or RGB voxels); convert to an integer or float type")
            }
            elementSize = size
            // vox_offset is a float in the header: NaN, infinity or a negative value would trap Int().
            let voxOffset = h.float32(108)
            guard voxOffset.isFinite, voxOffset >= 348, voxOffset <= Float(1 << 30) else {
                throw NiftiFailure(reason: "vox_offset \(voxOffset) is not a valid data offset (it must be a number from 348 on); the header is corrupt")
            }
            offset = Int(voxOffset)
            slope = Double(h.float32(112))
            intercept = Double(h.float32(116))
            guard slope.isFinite, intercept.isFinite else {
                throw NiftiFailure(reason: "scl_slope \(slope) / scl_inter \(intercept) are not finite numbers; fix the header (set scl_slope to 0 or 1 to store values unscaled)")
            }
            func floats(_ offset: Int, _ count: Int) -> [Double] { (0..<count).map { Double(h.float32(offset + 4 * $0)) } }
            geometry = NiftiGeometry(qformCode: Int(h.int16(252)), sformCode: Int(h.int16(254)),
                                     quaternion: floats(256, 3), offset: floats(268, 3), qfac: Double(h.float32(76)),
                                     sform: [floats(280, 4), floats(296, 4), floats(312, 4)], units: bytes[123])
        }
    }

    static func parse(_ bytes: [UInt8]) throws -> NiftiVolume {
        let header = try Header(bytes)
        let h = HeaderReader(bytes: bytes, bigEndian: header.bigEndian)
        let (dims, offset, count, datatype) = (header.dims, header.offset, header.voxelCount, header.datatype)
        let data: Tensor
        if datatype == 768 {
            // uint32 has no libtorch dtype: widen to int64 while decoding.
            try checkLength(bytes, offset, count * 4)
            let values = (0..<count).map { Int64(h.uint32(offset + 4 * $0)) }
            data = Tensor(values, shape: [dims[2], dims[1], dims[0]])
        } else {
            let dtype = elementTypes[datatype]!
            try checkLength(bytes, offset, count * dtype.size)
            var elements = Array(bytes[offset..<(offset + count * dtype.size)])
            if header.bigEndian && dtype.size > 1 { swapBytes(&elements, width: dtype.size) }
            data = elements.withUnsafeBytes { Tensor(bytes: $0, dtype: dtype, shape: [dims[2], dims[1], dims[0]]) }
        }
        let (slope, intercept) = (header.slope, header.intercept)
        let scaled = slope != 0 && !(slope == 1 && intercept == 0) ? data.to(.float64) * slope + intercept : data
        if scaled.dtype.isFloatingPoint, scaled.count > 0, scaled.isFinite().all().item == 0 {
            throw NiftiFailure(reason: "the volume holds NaN or infinite values; replace them (for example with nibabel and numpy.nan_to_num)")
        }
        var volume = NiftiVolume(dims: dims, spacing: header.spacing, datatype: datatype, data: scaled)
        volume.geometry = header.geometry
        return volume
    }

    private static func checkLength(_ bytes: [UInt8], _ offset: Int, _ length: Int) throws {
        guard offset >= 348, bytes.count >= offset + length else {
            throw NiftiFailure(reason: "the file ends early: the voxels need \(length) bytes from offset \(offset), it has \(bytes.count) (truncated file)")
        }
    }

    private static func swapBytes(_ bytes: inout [UInt8], width: Int) {
        bytes.withUnsafeMutableBufferPointer { buffer in
            for start in stride(from: 0, to: buffer.count, by: width) {
                var low = start, high = start + width - 1
                while low < high {
                    buffer.swapAt(low, high)
                    low += 1
                    high -= 1
                }
            }
        }
    }
}

/// Fixed-position header fields in either byte order.
private struct HeaderReader {
    let bytes: [UInt8]
    let bigEndian: Bool

    func unsigned(_ offset: Int, _ width: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<width {
            let byte = UInt64(bytes[offset + (bigEndian ? i : width - 1 - i)])
            value = (value << 8) | byte
        }
        return value
    }

    func int16(_ offset: Int) -> Int16 { Int16(bitPattern: UInt16(unsigned(offset, 2))) }
    func int32(_ offset: Int) -> Int32 { Int32(bitPattern: UInt32(unsigned(offset, 4))) }
    func uint32(_ offset: Int) -> UInt32 { UInt32(unsigned(offset, 4)) }
    func float32(_ offset: Int) -> Float { Float(bitPattern: UInt32(unsigned(offset, 4))) }
}
