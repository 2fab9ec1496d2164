import Torch

/// A 3-D image with a label volume on its grid: what the volume importers cut into 2-D slices.
/// `NiftiImporter.run(_:_:)` takes any of them, so a NIfTI pair and a DICOM series with NIfTI
/// labels go through the same label grouping, windowing, slicing and splits.
public protocol LabelledVolume {
    /// What the slices are named after (`<name>_<axis><index>`).
    var name: String { get }
    /// The volume as OUTPUT/slices.csv and the split messages name it.
    var source: String { get }
    /// The label volume's file, named in messages about its labels.
    var labelsPath: String { get }
    /// Reads and checks both volumes. The image is [z, y, x] of any numeric type in its own units
    /// (an 8- or 16-bit type is scaled by its range when no window is asked for); the labels are
    /// [z, y, x] of the same shape, as stored. Rows (y) run as NIfTI stores them: the importer
    /// shows the far end of y at the top of each slice.
    func load() throws -> (image: Tensor, labels: Tensor)
    /// The grid of the volume `load` returns, as the import record keeps it for `sample-volume`.
    func sliceGrid() throws -> VolumeGridSummary
}

/// A loaded volume's voxel axes: their anatomical directions (e.g. RAS), sizes along x, y, z and
/// spacing in mm.
public struct VolumeGridSummary: Sendable {
    public var orientation: VoxelOrientation
    public var dims: [Int]
    public var spacing: [Double]
}

/// An image and a label volume in two NIfTI files (import-nifti's --image and --labels).
public struct NiftiLabelledVolume: LabelledVolume {
    public var imagePath: String
    public var labelsPath: String

    public init(image: String, labels: String) {
        imagePath = image
        labelsPath = labels
    }

    /// The image file, as given.
    public var source: String { imagePath }

    public var name: String {
        var name = imagePath.split(separator: "/").last.map(String.init) ?? imagePath
        for suffix in [".gz", ".nii"] where name.lowercased().hasSuffix(suffix) { name = String(name.dropLast(suffix.count)) }
        return name
    }

    public func load() throws -> (image: Tensor, labels: Tensor) {
        let image = try NiftiVolume.read(imagePath), labels = try NiftiVolume.read(labelsPath)
        guard image.dims == labels.dims else {
            throw DataError("\(labelsPath) is \(labels.dims.map(String.init).joined(separator: "x")) voxels, but \(imagePath) is \(image.dims.map(String.init).joined(separator: "x")); labels must be on the image's grid (resample them first)")
        }
        return (image.data, labels.data)
    }

    /// The image's header: the slices are cut in its voxel order.
    public func sliceGrid() throws -> VolumeGridSummary {
        let header: NiftiVolume.Header
        do { header = try NiftiVolume.Header(NiftiVolume.readWhole(imagePath, limit: 348)) } catch let failure as NiftiVolume.NiftiFailure {
            throw DataError("\(imagePath): \(failure.reason)")
        }
        return VolumeGridSummary(orientation: header.geometry.orientation(spacing: header.spacing), dims: header.dims, spacing: header.spacing)
    }
}
