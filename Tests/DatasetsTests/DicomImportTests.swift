import Datasets
import Foundation
import Testing
import TestSupport
import Torch

/// import-dicom's library side: a series written through GDCM with NIfTI labels on its grid, cut
/// into the data set layout by the same code as import-nifti.
@Suite("DICOM import")
struct DicomImportTests {
    let folder = TemporaryFolder()

    /// Labels 1 (rows 2-4) and 2 (rows 5-7) over columns 3-8, on slices 1-4 of the test series.
    static let labels: Tensor = {
        let labels = Tensor.zeros([6, 10, 12], .init(.uint8))
        labels.sliced(dim: 0, start: 1, end: 5).sliced(dim: 1, start: 2, end: 5).sliced(dim: 2, start: 3, end: 9).fill(1)
        labels.sliced(dim: 0, start: 1, end: 5).sliced(dim: 1, start: 5, end: 8).sliced(dim: 2, start: 3, end: 9).fill(2)
        return labels
    }()

    private func writeSeries() throws -> (folder: String, uid: String) {
        let path = folder.path + "/patient01"
        return (path, try DicomSeriesWriter.write(DicomSeriesTests.volume, grid: DicomSeriesTests.grid, to: path,
                                                  options: DicomSeriesTests.options()))
    }

    private func importing(_ series: String, labels: String, output: String = "slices") -> DicomImportOptions {
        var options = DicomImportOptions(sources: [.init(folder: series, labels: labels)], output: folder.path + "/" + output)
        options.slicing.fractions = (1, 0, 0)
        options.slicing.intensity = .window(low: -1000, high: -400)
        return options
    }

    @Test func importWritesTheLayoutWithLabelsOnTheRightRowsAndRecordsSources() throws {
        let (series, uid) = try writeSeries()
        let labelsPath = folder.path + "/patient01_labels.nii.gz"
        try NiftiWriter.write(Self.labels, grid: DicomSeriesTests.grid, to: labelsPath)
        let summary = try DicomImporter.run(importing(series, labels: labelsPath))
        #expect(summary.slices == [.train: 4])
        #expect(summary.classCount == 3)

        // DICOM's row 0 is the top of the image: label 1 on rows 2-4 from the top, 2 on rows 5-7.
        let mask = try ImageFile.read("\(summary.maskDirectory)/all/train/patient01_z2.png").samples
        #expect(mask.shape == [1, 10, 12])
        let column = mask.selected(dim: 2, index: 4).reshaped([-1]).scalars(as: UInt8.self)
        #expect(column == [0, 0, 1, 1, 1, 2, 2, 2, 0, 0])
        // Window -1000...-400 HU: voxel (i, j, k=2) is 200 + 10j + i - 999.5 HU.
        let image = try ImageFile.read("\(summary.imageDirectory)/train/patient01_z2.png").samples
        let hounsfield: Double = 200 + 30 + 4 - 999.5
        let expected = (hounsfield + 1000) / 600 * 255
        #expect(image.selected(dim: 1, index: 3).selected(dim: 1, index: 4).item == expected.rounded())

        let record = try String(contentsOfFile: DicomImporter.recordPath(output: folder.path + "/slices"), encoding: .utf8)
        let rows = record.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(rows[0] == ["name", "split", "series_uid", "series_folder", "axis", "index", "sop_instance_uid", "file", "position_mm"])
        let z2 = try #require(rows.first { $0[0] == "patient01_z2.png" })
        #expect(z2[2] == uid)
        #expect(z2[5] == "2")
        #expect(z2[7] == series + "/slice0003.dcm")
        #expect(try DicomHeader.read(z2[7])?.sopUID == z2[6])
        #expect(z2[8] == "-20.5 10.25 35.0")
    }

    /// dcm2niix stores a series' rows bottom-up (its affine says so): the same voxels, so the
    /// same masks.
    @Test func labelsStoredWithRowsReversedGiveTheSameMasks() throws {
        let (series, _) = try writeSeries()
        let grid = DicomSeriesTests.grid
        var reversed = grid
        reversed.directions[1] = [0, -1, 0]
        reversed.origin = grid.position([0, 9, 0])
        let labelsPath = folder.path + "/reversed.nii"
        try NiftiWriter.write(Self.labels.flipped([1]).contiguous(), grid: reversed, to: labelsPath)
        let summary = try DicomImporter.run(importing(series, labels: labelsPath))
        let mask = try ImageFile.read("\(summary.maskDirectory)/all/train/patient01_z2.png").samples
        #expect(mask.selected(dim: 2, index: 4).reshaped([-1]).scalars(as: UInt8.self) == [0, 0, 1, 1, 1, 2, 2, 2, 0, 0])
    }

    @Test func labelsOffTheSeriesGridAreAnErrorGivingBothGrids() throws {
        let (series, uid) = try writeSeries()
        var shifted = DicomSeriesTests.grid
        shifted.origin[0] += 0.7  // one column over
        let labelsPath = folder.path + "/shifted.nii"
        try NiftiWriter.write(Self.labels, grid: shifted, to: labelsPath)
        let error = #expect(throws: DataError.self) { try DicomImporter.run(importing(series, labels: labelsPath)) }
        let message = error?.message ?? ""
        #expect(message.hasPrefix("\(labelsPath) is not on the grid of series \(uid) in \(series): labels grid 12x10x6, spacing 0.7000,0.8000,2.5000 mm, origin (-19.800,10.250,30.000) mm"))
        #expect(message.contains("series grid 12x10x6, spacing 0.7000,0.8000,2.5000 mm, origin (-20.500,10.250,30.000) mm"))
        #expect(message.contains("differ by up to 1.00 voxels"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/slices/images"))
    }

    @Test func labelsWithoutAPlaceInThePatientAreNamed() throws {
        let (series, _) = try writeSeries()
        let labelsPath = folder.path + "/nowhere.nii"
        try NiftiWriter.write(Self.labels, to: labelsPath)
        let error = #expect(throws: DataError.self) { try DicomImporter.run(importing(series, labels: labelsPath)) }
        #expect(error?.message.hasPrefix("\(labelsPath): the header places the volume nowhere") == true)
    }

    /// Cut across the files (one slice per column): the superior end at the top, as import-nifti
    /// shows sagittal slices, and no single file to record.
    @Test func cuttingAcrossTheFilesRecordsTheColumnIndex() throws {
        let (series, _) = try writeSeries()
        let labelsPath = folder.path + "/labels.nii.gz"
        try NiftiWriter.write(Self.labels, grid: DicomSeriesTests.grid, to: labelsPath)
        var options = importing(series, labels: labelsPath)
        options.slicing.axis = .x
        let summary = try DicomImporter.run(options)
        #expect(summary.slices == [.train: 6])  // columns 3-8 hold labels
        let mask = try ImageFile.read("\(summary.maskDirectory)/all/train/patient01_x04.png").samples
        #expect(mask.shape == [1, 6, 10])
        // Row 0 is the last slice (unlabelled), row 1 slice 4; along it the series' rows run bottom-up.
        #expect(mask.selected(dim: 1, index: 0).to(.int64).sum().item == 0)
        #expect(mask.selected(dim: 1, index: 1).reshaped([-1]).scalars(as: UInt8.self) == [0, 0, 2, 2, 2, 1, 1, 1, 0, 0])
        let record = try String(contentsOfFile: DicomImporter.recordPath(output: folder.path + "/slices"), encoding: .utf8)
        let row = try #require(record.split(separator: "\n").first { $0.hasPrefix("patient01_x04.png,") })
        #expect(row.split(separator: ",", omittingEmptySubsequences: false).suffix(5) == ["x", "4", "", "", ""])
    }

    @Test func windowPresetsAreCTReadingWindows() {
        func bounds(_ text: String) -> [Double]? { IntensityWindowPreset.parse(text).map { [$0.low, $0.high] } }
        #expect(bounds("brain") == [0, 80])
        #expect(bounds("Lung") == [-1350, 150])
        #expect(bounds("bone") == [-500, 1300])
        #expect(bounds("-100, 300") == [-100, 300])
        #expect(bounds("300,-100") == nil)
        #expect(bounds("liverish") == nil)
    }
}
