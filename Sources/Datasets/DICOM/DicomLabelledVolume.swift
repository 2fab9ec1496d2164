import Foundation
import Torch

/// A DICOM series with a NIfTI label volume on its grid, as `NiftiImporter` cuts it.
public struct DicomLabelledVolume: LabelledVolume {
    public var layout: DicomSeriesLayout
    public var labelsPath: String

    /// "series UID in FOLDER".
    public var source: String { layout.series.label }

    /// The series' folder name, made safe for file names.
    public var name: String {
        let base = layout.series.folder.split(separator: "/").last.map(String.init) ?? "series"
        let safe = String(base.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return safe.isEmpty ? "series" : safe
    }

    public init(layout: DicomSeriesLayout, labels: String) {
        self.layout = layout
        labelsPath = labels
    }

    /// The series' grid with its rows reversed, as `load` returns the voxels.
    public func sliceGrid() throws -> VolumeGridSummary {
        var grid = layout.grid
        grid.directions[1] = grid.directions[1].map { -$0 }
        let orientation = VoxelOrientation(affine: NiftiGeometry.rasAffine(of: grid))
        return VolumeGridSummary(orientation: orientation, dims: grid.shape, spacing: grid.spacing)
    }

    /// The series in real units and its labels, both in the series' voxel order, rows reversed:
    /// the importer shows the last row at the top, and DICOM's row 0 is the top of the image.
    public func load() throws -> (image: Tensor, labels: Tensor) {
        let labelGrid = try NiftiGeometry.voxelGrid(of: labelsPath)
        let labels = try NiftiVolume.read(labelsPath)
        switch GridAlignment.aligned(labels.data, from: labelGrid, onto: layout.grid) {
        case .success(let aligned):
            let image = try DicomVolume.read(layout).data
            return (image.flipped([1]).contiguous(), aligned.flipped([1]).contiguous())
        case .failure(let mismatch):
            let by = mismatch.voxels.map { "; voxel centres differ by up to \(String(format: "%.2f", $0)) voxels" } ?? ""
            throw DataError("\(labelsPath) is not on the grid of \(layout.series.label): labels \(labelGrid), series \(layout.grid)\(by); resample the labels onto the series (for example with SimpleITK or 3D Slicer, the series as reference)")
        }
    }
}
