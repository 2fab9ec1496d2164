import Datasets
import Foundation
import Testing
import TestSupport
import Torch

/// `segmadiff import-dicom` as a user runs it: flags, output, and one-line errors with status 2.
@Suite("import-dicom command")
struct ImportDicomCommandTests {
    let folder = TemporaryFolder()

    /// A 4-slice CT series (HU from -1000 up) with labels 1 on slices 1-2, through GDCM.
    private func writeCase() throws {
        let values = Tensor.arange(0, 4 * 8 * 8, .init(.float64)).reshaped(4, 8, 8) * 10 - 1000
        let grid = VoxelGrid(shape: [8, 8, 4], spacing: [1, 1, 2], origin: [0, 0, 0], directions: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
        try DicomSeriesWriter.write(values.contiguous(), grid: grid, to: folder.path + "/ct/case1")
        let labels = Tensor.zeros([4, 8, 8], .init(.uint8))
        labels.sliced(dim: 0, start: 1, end: 3).sliced(dim: 1, start: 2, end: 6).fill(1)
        try NiftiWriter.write(labels, grid: grid, to: folder.path + "/case1.nii.gz")
    }

    @Test func importsASeriesWithAPresetWindow() throws {
        try writeCase()
        let result = try SegMaDiffBinary.run(["import-dicom", "--series", "ct", "--labels", "case1.nii.gz", "--output", "out",
                                              "--window", "brain", "--split", "1,0,0"], in: folder.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("wrote train 2, val 0, test 0 slices"))
        #expect(result.stdout.contains("--num_segmentation_classes 2"))
        let images = try FileManager.default.contentsOfDirectory(atPath: folder.path + "/out/images/train").sorted()
        #expect(images == ["ct_z1.png", "ct_z2.png"])
        #expect(FileManager.default.fileExists(atPath: folder.path + "/out/dicom_slices.csv"))
    }

    @Test func aTruncatedFileIsOneLineAndStatusTwo() throws {
        try writeCase()
        let file = folder.path + "/ct/case1/slice0002.dcm"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: file))
        let result = try SegMaDiffBinary.run(["import-dicom", "--series", "ct", "--labels", "case1.nii.gz", "--output", "out"], in: folder.url)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("segmadiff: error: ") == true)
        #expect(result.stderr.contains("slice0002.dcm"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/out/images"))
    }

    @Test func aWindowThatIsNeitherBoundsNorAPresetIsNamed() throws {
        let result = try SegMaDiffBinary.run(["import-dicom", "--series", "ct", "--labels", "l.nii", "--output", "out", "--window", "lungs"], in: folder.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("--window lungs is not LOW,HIGH"))
        #expect(result.stderr.contains("brain, subdural, stroke, lung"))
    }
}
