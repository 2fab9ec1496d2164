import Foundation

/// The voxel grid a NIfTI-1 header places in the patient, from its sform (preferred, as the NIfTI
/// standard says) or its qform, converted from NIfTI's RAS to DICOM's LPS coordinates so it can be
/// compared with a DICOM series.
public enum NiftiGeometry {
    public static func read(_ path: String) throws -> VoxelGrid {
        let bytes = try NiftiVolume.readWhole(path, limit: 348)
        do {
            let header = try NiftiVolume.Header(bytes)
            return try grid(bytes, header)
        } catch let failure as NiftiVolume.NiftiFailure {
            throw DataError("\(path): \(failure.reason)")
        }
    }

    static func grid(_ bytes: [UInt8], _ header: NiftiVolume.Header) throws -> VoxelGrid {
        func int16(_ offset: Int) -> Int {
            let pair = UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
            return Int(Int16(bitPattern: header.bigEndian ? pair.byteSwapped : pair))
        }
        func float(_ offset: Int) -> Double {
            var word: UInt32 = 0
            for i in 0..<4 { word |= UInt32(bytes[offset + i]) << (8 * i) }
            return Double(Float(bitPattern: header.bigEndian ? word.byteSwapped : word))
        }
        // voxel index -> RAS mm, as a 3x3 matrix (columns: the i, j, k steps) and an offset.
        var matrix: [[Double]]
        var offset: [Double]
        if int16(254) > 0 {
            let rows = (0..<3).map { r in (0..<4).map { c in float(280 + 16 * r + 4 * c) } }
            matrix = rows.map { Array($0.prefix(3)) }
            offset = rows.map { $0[3] }
        } else if int16(252) > 0 {
            let (b, c, d) = (float(256), float(260), float(264))
            let a = Swift.max(0, 1 - (b * b + c * c + d * d)).squareRoot()
            let rotation = [
                [a * a + b * b - c * c - d * d, 2 * (b * c - a * d), 2 * (b * d + a * c)],
                [2 * (b * c + a * d), a * a + c * c - b * b - d * d, 2 * (c * d - a * b)],
                [2 * (b * d - a * c), 2 * (c * d + a * b), a * a + d * d - c * c - b * b],
            ]
            let qfac = float(76) < 0 ? -1.0 : 1.0
            let steps = [header.spacing[0], header.spacing[1], header.spacing[2] * qfac]
            matrix = rotation.map { row in (0..<3).map { row[$0] * steps[$0] } }
            offset = [float(268), float(272), float(276)]
        } else {
            throw NiftiVolume.NiftiFailure(reason: "the header places the volume nowhere (qform_code and sform_code are 0), so it cannot be matched to a scan; save it with its affine (for example nibabel.Nifti1Image(labels, affine))")
        }
        // RAS -> LPS: x and y change sign.
        for row in 0..<2 {
            matrix[row] = matrix[row].map { -$0 }
            offset[row] = -offset[row]
        }
        var spacing: [Double] = [], directions: [[Double]] = []
        for column in 0..<3 {
            let step = (0..<3).map { matrix[$0][column] }
            let length = step.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard length > 0, length.isFinite else {
                throw NiftiVolume.NiftiFailure(reason: "the header's affine has a zero or invalid voxel axis \(column); fix the header")
            }
            spacing.append(length)
            directions.append(step.map { $0 / length })
        }
        return VoxelGrid(shape: header.dims, spacing: spacing, origin: offset, directions: directions)
    }
}
