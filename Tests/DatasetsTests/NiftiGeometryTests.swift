import Datasets
import Foundation
import Testing
import TestSupport
import Torch

/// qform/sform read and written field for field, orientations, and the import record.
@Suite("NIfTI geometry")
struct NiftiGeometryTests {
    let folder = TemporaryFolder()

    /// Tilted 10 degrees about the scanner's z axis, with x and y running left and posterior (LPS).
    static let spacing = [0.9, 1.1, 2.0]
    static var obliqueLPS: [[Double]] {
        let (c, s) = (cos(10 * Double.pi / 180), sin(10 * Double.pi / 180))
        let rotation = [[c, -s, 0], [s, c, 0], [0, 0, 1.0]]
        let scales = [-spacing[0], -spacing[1], spacing[2]]
        return (0..<3).map { i in (0..<3).map { j in rotation[i][j] * scales[j] } + [[20.0, 15, -11][i]] }
    }

    private func close(_ a: [[Double]], _ b: [[Double]], within tolerance: Double) -> Bool {
        zip(a.joined(), b.joined()).allSatisfy { abs($0 - $1) <= tolerance }
    }

    @Test func obliqueFlippedGeometryRoundTripsFieldForField() throws {
        let geometry = NiftiGeometry.scanner(affine: Self.obliqueLPS, spacing: Self.spacing)
        let labels = Tensor.arange(0, 60, .init(.float64)).reshaped(3, 4, 5).to(.uint8)
        let first = folder.path + "/oblique.nii.gz", second = folder.path + "/again.nii"
        try NiftiWriter.write(labels, spacing: Self.spacing, geometry: geometry, to: first)
        let read = try NiftiVolume.read(first)
        #expect(read.geometry.qformCode == 1 && read.geometry.sformCode == 1)
        #expect(close(read.affine, Self.obliqueLPS, within: 1e-5))
        // The qform alone (what a reader without the sform uses) gives the same matrix.
        #expect(close(read.geometry.qformAffine(spacing: read.spacing), Self.obliqueLPS, within: 1e-5))
        #expect(read.orientation.description == "LPS")
        #expect(read.data.eq(labels).all().item == 1)

        // Written again with what was read: the same header fields, bit for bit.
        try NiftiWriter.write(read.data, spacing: read.spacing, geometry: read.geometry, to: second)
        let again = try NiftiVolume.read(second)
        #expect(again.geometry == read.geometry && again.spacing == read.spacing && again.dims == read.dims)
    }

    @Test func leftHandedQformOnlyFlipsTheThirdAxis() throws {
        // A qform with qfac -1 and no sform: z runs inferior.
        let geometry = NiftiGeometry(qformCode: 2, quaternion: [0, 0, 0], offset: [1, 2, 3], qfac: -1)
        let path = folder.path + "/qform.nii"
        try NiftiWriter.write(Tensor.zeros([2, 2, 2], .init(.uint8)), spacing: [1, 2, 3], geometry: geometry, to: path)
        let read = try NiftiVolume.read(path)
        #expect(read.geometry.sformCode == 0 && read.geometry.qfac == -1)
        #expect(read.affine == [[1, 0, 0, 1], [0, 2, 0, 2], [0, 0, -3, 3]])
        #expect(read.orientation.description == "RAI")
    }

    @Test func aVolumeWithoutQformOrSformIsItsVoxelGrid() throws {
        let path = folder.path + "/plain.nii"
        try NiftiWriter.write(Tensor.zeros([2, 2, 2], .init(.uint8)), spacing: [1, 1, 2], to: path)
        let read = try NiftiVolume.read(path)
        #expect(read.geometry == .unknown)
        #expect(read.affine == [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0]])
        #expect(read.orientation.description == "RAS")
    }

    @Test func orientationCodesParseAndPrint() {
        #expect(VoxelOrientation(codes: "LPS")?.description == "LPS")
        #expect(VoxelOrientation(codes: "ASR")?.worldAxes == [1, 2, 0])
        #expect(VoxelOrientation(codes: "RRS") == nil && VoxelOrientation(codes: "RA") == nil)
    }

    @Test func importRecordsGroupingWindowAxisAndOrientation() throws {
        let image = (Tensor.arange(0, 240, .init(.float64)).reshaped(4, 6, 10) * 10 - 1200).to(.int16)
        let labels = Tensor.zeros([4, 6, 10], .init(.uint8))
        labels.sliced(dim: 0, start: 1, end: 3).fill(4)
        let geometry = NiftiGeometry.scanner(affine: Self.obliqueLPS, spacing: Self.spacing)
        let imagePath = folder.path + "/ct.nii.gz", labelPath = folder.path + "/seg.nii.gz"
        try NiftiWriter.write(image, spacing: Self.spacing, geometry: geometry, to: imagePath)
        try NiftiWriter.write(labels, spacing: Self.spacing, geometry: geometry, to: labelPath)
        var options = NiftiImportOptions(volumes: [(imagePath, labelPath)], output: folder.path + "/data")
        options.labelGrouping = try LabelGrouping.parse("1-3:1,4-5:2")
        options.intensity = .window(low: -1000, high: 1000)
        options.fractions = (1, 1, 0)
        options.splitRule = .slice      // two slices: what the record says does not depend on the split
        let summary = try NiftiImporter.run(options)
        #expect(summary.recordPath == folder.path + "/data/" + NiftiImportRecord.fileName)

        let record = try NiftiImportRecord.read(summary.recordPath)
        #expect(record.axis == "z" && record.classes == 3 && record.bitDepth == 8 && record.segType == "all")
        #expect(record.labelGrouping == options.labelGrouping)
        #expect(record.intensity == .window(low: -1000, high: 1000))
        #expect(record.unitsMap?.scale == 2000 && record.unitsMap?.offset == -1000)
        #expect(record.orientation?.description == "LPS")
        #expect(record.volumes.map(\.intensityRange) == [[-1200, 1190]])
    }

    @Test func aRecordThatIsNotOneIsAnErrorNamingTheFile() throws {
        let path = folder.path + "/" + NiftiImportRecord.fileName
        try Data("{\"axis\": \"w\"}".utf8).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: DataError.self) { try NiftiImportRecord.read(path) }
        #expect(error?.message.hasPrefix("\(path): not an import record of import-nifti") == true)
    }
}
