import Foundation
import Torch

/// Puts a volume stored on one voxel grid into the voxel order of another grid that has the same
/// voxel centres, its axes possibly permuted or reversed: dcm2niix, for one, stores a series' rows
/// bottom-up, while ITK-based tools keep DICOM's order; both describe the same voxels.
enum GridAlignment {
    /// Voxel centres may be off by this fraction of a voxel (float32 affines, DS-rounded positions).
    static let tolerance = 0.1

    /// `volume` ([k, j, i] on `source`) re-indexed as [k, j, i] of `target`, or the largest
    /// voxel-centre mismatch when the grids do not hold the same voxels.
    static func aligned(_ volume: Tensor, from source: VoxelGrid, onto target: VoxelGrid) -> Result<Tensor, Mismatch> {
        guard let mapping = axisMapping(from: source, onto: target) else { return .failure(Mismatch(voxels: nil)) }
        // Source index = sign · target index + offset, per target axis; check at the 8 corners
        // (the error of an affine map is largest at a corner).
        var worst = 0.0
        for corner in 0..<8 {
            let index = (0..<3).map { Double((corner >> $0) & 1 == 1 ? target.shape[$0] - 1 : 0) }
            let exact = sourceIndex(of: target.position(index), in: source)
            for b in 0..<3 {
                let (a, sign) = mapping[b]
                let predicted = sign > 0 ? index[b] : Double(source.shape[a] - 1) - index[b]
                worst = Swift.max(worst, abs(exact[a] - predicted))
            }
        }
        guard worst <= tolerance else { return .failure(Mismatch(voxels: worst)) }
        // Reverse the source axes that run backwards, then permute into the target's order
        // (tensor dim d holds axis 2 - d).
        let reversed = mapping.filter { $0.sign < 0 }.map { 2 - $0.axis }
        let flipped = reversed.isEmpty ? volume : volume.flipped(reversed)
        let order = (0..<3).map { d in 2 - mapping[2 - d].axis }
        return .success(order == [0, 1, 2] ? flipped : flipped.permuted(order).contiguous())
    }

    struct Mismatch: Error {
        /// The largest voxel-centre distance in voxels, nil when the axes do not line up at all.
        var voxels: Double?
    }

    /// For each target axis, the source axis along the same line and whether it runs the same
    /// way; nil when the axes are not parallel, the spacings differ or the shapes do not match.
    private static func axisMapping(from source: VoxelGrid, onto target: VoxelGrid) -> [(axis: Int, sign: Double)]? {
        var mapping: [(axis: Int, sign: Double)] = []
        for b in 0..<3 {
            let cosines = (0..<3).map { a in zip(source.directions[a], target.directions[b]).reduce(0) { $0 + $1.0 * $1.1 } }
            guard let a = (0..<3).max(by: { abs(cosines[$0]) < abs(cosines[$1]) }), abs(cosines[a]) > 0.999,
                  !mapping.contains(where: { $0.axis == a }),
                  source.shape[a] == target.shape[b],
                  abs(source.spacing[a] - target.spacing[b]) <= 1e-3 * target.spacing[b] + 1e-4
            else { return nil }
            mapping.append((a, cosines[a] > 0 ? 1 : -1))
        }
        return mapping
    }

    /// The fractional source index at a patient position (directions taken as orthonormal).
    private static func sourceIndex(of position: [Double], in grid: VoxelGrid) -> [Double] {
        let offset = zip(position, grid.origin).map { $0 - $1 }
        return (0..<3).map { a in zip(offset, grid.directions[a]).reduce(0) { $0 + $1.0 * $1.1 } / grid.spacing[a] }
    }
}
