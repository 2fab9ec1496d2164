import Foundation

/// Where a volume's voxels sit in the patient: voxel (i, j, k) of a [k, j, i] tensor is at
/// `origin + i·spacing[0]·directions[0] + j·spacing[1]·directions[1] + k·spacing[2]·directions[2]`,
/// in millimetres in DICOM's patient coordinates (LPS: x to the patient's left, y to the back,
/// z to the head). NIfTI's RAS affines are converted on reading.
public struct VoxelGrid: Equatable, Sendable, CustomStringConvertible {
    /// Voxels along i, j, k (for a DICOM series: columns, rows, slices).
    public var shape: [Int]
    public var spacing: [Double]
    public var origin: [Double]
    /// Unit vectors of the i, j and k axes.
    public var directions: [[Double]]

    public init(shape: [Int], spacing: [Double], origin: [Double], directions: [[Double]]) {
        self.shape = shape
        self.spacing = spacing
        self.origin = origin
        self.directions = directions
    }

    /// The patient position of a (fractional) voxel index.
    public func position(_ index: [Double]) -> [Double] {
        (0..<3).map { row in origin[row] + (0..<3).reduce(0) { $0 + index[$1] * spacing[$1] * directions[$1][row] } }
    }

    public var description: String {
        func numbers(_ values: [Double], _ digits: Int = 3) -> String {
            values.map { String(format: "%.\(digits)f", $0 == 0 ? 0 : $0) }.joined(separator: ",")
        }
        return "grid \(shape.map(String.init).joined(separator: "x")), spacing \(numbers(spacing, 4)) mm, origin (\(numbers(origin))) mm, axes \(directions.map { "(\(numbers($0)))" }.joined(separator: " ")) (LPS)"
    }
}
