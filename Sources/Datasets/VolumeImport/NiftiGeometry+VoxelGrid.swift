import Foundation

/// Between NIfTI's header geometry (RAS: x to the patient's right, y to the front) and a
/// `VoxelGrid` (DICOM's LPS): x and y change sign, nothing else.
extension NiftiGeometry {
    /// A grid stored as sform and qform (scanner coordinates), as a NIfTI writer records it.
    public init(grid: VoxelGrid) {
        self = .scanner(affine: Self.rasAffine(of: grid), spacing: grid.spacing)
    }

    /// The 3 x 4 voxel-to-RAS matrix of a grid.
    public static func rasAffine(of grid: VoxelGrid) -> [[Double]] {
        (0..<3).map { row in
            let sign = row < 2 ? -1.0 : 1.0
            return (0..<3).map { column in sign * grid.spacing[column] * grid.directions[column][row] } + [sign * grid.origin[row]]
        }
    }

    /// Where the header of the NIfTI file at `path` places its voxels, read from the header alone;
    /// an error when it places them nowhere (qform_code and sform_code both 0), since such a
    /// volume cannot be matched to a scan.
    public static func voxelGrid(of path: String) throws -> VoxelGrid {
        let bytes = try NiftiVolume.readWhole(path, limit: 348)
        let header: NiftiVolume.Header
        do { header = try NiftiVolume.Header(bytes) } catch let failure as NiftiVolume.NiftiFailure {
            throw DataError("\(path): \(failure.reason)")
        }
        let geometry = header.geometry
        guard geometry.qformCode > 0 || geometry.sformCode > 0 else {
            throw DataError("\(path): the header places the volume nowhere (qform_code and sform_code are 0), so it cannot be matched to a scan; save it with its affine (for example nibabel.Nifti1Image(labels, affine))")
        }
        let affine = geometry.affine(spacing: header.spacing)
        var spacing: [Double] = [], directions: [[Double]] = []
        for column in 0..<3 {
            let step = (0..<3).map { row in (row < 2 ? -1.0 : 1.0) * affine[row][column] }
            let length = step.reduce(0) { $0 + $1 * $1 }.squareRoot()
            guard length > 0, length.isFinite else {
                throw DataError("\(path): the header's affine has a zero or invalid voxel axis \(column); fix the header")
            }
            spacing.append(length)
            directions.append(step.map { $0 / length })
        }
        let origin = (0..<3).map { row in (row < 2 ? -1.0 : 1.0) * affine[row][3] }
        return VoxelGrid(shape: header.dims, spacing: spacing, origin: origin, directions: directions)
    }
}
