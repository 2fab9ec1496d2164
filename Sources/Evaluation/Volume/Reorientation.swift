import Datasets
import Torch

/// Flips and swaps of voxel axes that take a volume stored in one orientation (a label volume as
/// the scanner wrote it, e.g. LPS) to the orientation a model's slices were cut in (e.g. RAS), and
/// back. Sampling in the model's orientation keeps its slices the way up it learnt them; putting
/// the result back keeps the label volume's voxel grid, so the output overlays it exactly.
public struct Reorientation: Sendable {
    /// For each voxel axis of the target (x, y, z): the source voxel axis it comes from.
    public let sourceAxis: [Int]
    /// For each voxel axis of the target: whether the source runs the other way.
    public let flipped: [Bool]

    public init(from source: VoxelOrientation, to target: VoxelOrientation) {
        let axes = (0..<3).map { source.voxelAxis(alongWorld: target.worldAxes[$0]) }
        sourceAxis = axes
        flipped = (0..<3).map { source.signs[axes[$0]] != target.signs[$0] }
    }

    public var isIdentity: Bool { sourceAxis == [0, 1, 2] && !flipped.contains(true) }

    /// Target tensor dim d ([z, y, x]) comes from source tensor dim `permutation[d]`.
    private var permutation: [Int] { (0..<3).map { 2 - sourceAxis[2 - $0] } }
    private var flippedDims: [Int] { (0..<3).filter { flipped[2 - $0] } }

    /// A source [z, y, x] volume in the target's orientation.
    public func forward(_ volume: Tensor) -> Tensor {
        let permuted = volume.permuted(permutation)
        return (flippedDims.isEmpty ? permuted : permuted.flipped(flippedDims)).contiguous()
    }

    /// A target-oriented [z, y, x] volume back on the source's grid.
    public func backward(_ volume: Tensor) -> Tensor {
        let unflipped = flippedDims.isEmpty ? volume : volume.flipped(flippedDims)
        var inverse = [0, 0, 0]
        for (dim, source) in permutation.enumerated() { inverse[source] = dim }
        return unflipped.permuted(inverse).contiguous()
    }

    /// The source's voxel sizes (along x, y, z) in the target's axis order.
    public func spacing(_ spacing: [Double]) -> [Double] { sourceAxis.map { spacing[$0] } }
}
