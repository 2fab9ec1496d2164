import Torch

/// A volume [z, y, x] seen as a stack of 2-D slices along one voxel axis, cut exactly as
/// `import-nifti` cuts them (the slice's rows flipped so the far end of the row axis is at the top,
/// as viewers show it), and put back: `volume(slices(v)) == v`.
public struct SliceStack: Sendable {
    /// The voxel axis the slices are taken across: 0 x, 1 y, 2 z.
    public let axis: Int

    public init(axis: Int) {
        precondition((0...2).contains(axis), "voxel axis \(axis) is not 0, 1 or 2")
        self.axis = axis
    }

    /// The tensor dimension of `axis` in a [z, y, x] volume.
    private var dim: Int { 2 - axis }
    /// Volume dims in stack order: the slice axis, then the rows, then the columns.
    private var order: [Int] { [dim] + [0, 1, 2].filter { $0 != dim } }

    /// [z, y, x] -> [slices, rows, columns].
    public func slices(_ volume: Tensor) -> Tensor {
        volume.permuted(order).flipped([1]).contiguous()
    }

    /// [slices, rows, columns] -> [z, y, x].
    public func volume(_ slices: Tensor) -> Tensor {
        var inverse = [0, 0, 0]
        for (position, dim) in order.enumerated() { inverse[dim] = position }
        return slices.flipped([1]).permuted(inverse).contiguous()
    }

    /// The voxel axes (0 x, 1 y, 2 z) along a slice's rows (top to bottom) and columns.
    public var inPlaneAxes: (rows: Int, columns: Int) { (2 - order[1], 2 - order[2]) }

    /// A slice's pixel size, from the volume's spacing along x, y, z.
    public func pixelSize(spacing: [Double]) -> (rows: Double, columns: Double) {
        (spacing[inPlaneAxes.rows], spacing[inPlaneAxes.columns])
    }
}
