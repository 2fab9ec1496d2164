import ModelCard

/// How `NiftiImporter` cuts volumes into a 2-D data set.
public struct NiftiImportOptions: Sendable {
    public enum Axis: Int, Sendable, CaseIterable {
        /// Sagittal slices (fixed x), coronal (fixed y), axial (fixed z), in voxel index order.
        case x = 0, y = 1, z = 2

        var letter: String { ["x", "y", "z"][rawValue] }
    }

    /// (image, labels) volume pairs on the same voxel grid.
    public var volumes: [(image: String, labels: String)]
    public var output: String
    public var axis: Axis = .z
    /// Slice indices along the axis to consider; nil for all.
    public var sliceRange: ClosedRange<Int>?
    /// Leave out slices whose (grouped) labels are all background.
    public var skipEmptySlices = true
    /// Intensities mapped to [0, 1] before quantising; `.minMax` uses each volume's range.
    public var intensity: IntensityNormalization = .minMax
    /// Written image PNGs: 8 or 16 bits.
    public var bitDepth = 8
    public var labelGrouping: LabelGrouping?
    /// The seg type folder masks are written to (MASK/<segType>/<split>/).
    public var segType = "all"
    /// How slices are divided among the splits (`SliceSplitter`); `auto` keeps neighbouring slices
    /// out of different splits.
    public var splitRule: SplitRule = .auto
    /// Unused slices between slabs of different splits (`splitRule` slab, or auto with too few volumes).
    public var splitGap = SplitRule.defaultGap
    /// Fractions of train, val and test (normalised to sum 1).
    public var fractions: (train: Double, val: Double, test: Double) = (0.8, 0.1, 0.1)
    public var seed: UInt64 = 0

    public init(volumes: [(image: String, labels: String)], output: String) {
        self.volumes = volumes
        self.output = output
    }
}
