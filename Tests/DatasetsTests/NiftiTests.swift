import Datasets
import Foundation
import Testing
import TestSupport
import Torch

@Suite("NIfTI")
struct NiftiTests {
    let folder = TemporaryFolder()

    /// A 16 (x) x 12 (y) x 10 (z) int16 image ramping along x, and labels 1-5 in a box over z = 3...6.
    private func writeVolumes() throws -> (image: String, labels: String) {
        let x = Tensor.arange(0, 16, .init(.float64)).reshaped(1, 1, 16)
        let z = Tensor.arange(0, 10, .init(.float64)).reshaped(10, 1, 1)
        let image = (x * 100 + z - 500).expanded(to: [10, 12, 16]).contiguous().to(.int16)
        let labels = Tensor.zeros([10, 12, 16], .init(.uint8))
        let box = labels.sliced(dim: 0, start: 3, end: 7).sliced(dim: 1, start: 2, end: 10)
        box.copy(from: (Tensor.arange(0, 16, .init(.float64)).reshaped(1, 1, 16) / 3.2).floor().clamped(min: 0, max: 4) + 1)
        let imagePath = folder.path + "/head.nii.gz", labelPath = folder.path + "/head_labels.nii"
        try NiftiWriter.write(image, spacing: [1, 1, 2], to: imagePath)
        try NiftiWriter.write(labels, to: labelPath)
        return (imagePath, labelPath)
    }

    @Test func gzipRoundTripKeepsHeaderAndVoxels() throws {
        let (imagePath, _) = try writeVolumes()
        let volume = try NiftiVolume.read(imagePath)
        #expect(volume.dims == [16, 12, 10])
        #expect(volume.spacing == [1, 1, 2])
        #expect(volume.datatype == 4)
        #expect(volume.data.shape == [10, 12, 16])
        // Voxel (x = 5, y = 0, z = 2) is 5·100 + 2 - 500.
        #expect(volume.data.selected(dim: 0, index: 2).selected(dim: 0, index: 0).selected(dim: 0, index: 5).item == 2)
    }

    @Test func bigEndianWithSlopeAndIntercept() throws {
        // A hand-made big-endian header: 3x2x1 int16 voxels 1...6, scl_slope 2, scl_inter 10.
        var bytes = [UInt8](repeating: 0, count: 352)
        func put(_ value: UInt32, _ width: Int, at offset: Int) {
            for i in 0..<width { bytes[offset + i] = UInt8((value >> (8 * (width - 1 - i))) & 0xFF) }
        }
        put(348, 4, at: 0)
        for (i, d) in [3, 3, 2, 1, 1, 1, 1, 1].enumerated() { put(UInt32(d), 2, at: 40 + 2 * i) }
        put(4, 2, at: 70)
        put(16, 2, at: 72)
        put(Float(352).bitPattern, 4, at: 108)
        put(Float(2).bitPattern, 4, at: 112)
        put(Float(10).bitPattern, 4, at: 116)
        bytes.replaceSubrange(344..<348, with: Array("n+1".utf8) + [0])
        for v in 1...6 { bytes += [0, UInt8(v)] }
        let path = folder.path + "/big.nii"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let volume = try NiftiVolume.read(path)
        #expect(volume.dims == [3, 2, 1])
        #expect(volume.data.reshaped([-1]).scalars(as: Double.self) == [12, 14, 16, 18, 20, 22])
    }

    @Test func truncatedVolumeIsAnErrorNamingTheFile() throws {
        let (_, labelPath) = try writeVolumes()
        let data = try Data(contentsOf: URL(fileURLWithPath: labelPath))
        let cut = folder.path + "/cut.nii"
        try data.prefix(1000).write(to: URL(fileURLWithPath: cut))
        let error = #expect(throws: DataError.self) { try NiftiVolume.read(cut) }
        #expect(error?.message.hasPrefix("\(cut): the file ends early") == true)
    }

    @Test func importCutsGroupsSplitsAndMakesAValidDataSet() throws {
        let (imagePath, labelPath) = try writeVolumes()
        var options = NiftiImportOptions(volumes: [(imagePath, labelPath)], output: folder.path + "/slices")
        options.axis = .z
        options.labelGrouping = try LabelGrouping.parse("1-2:1, 3-5:2")
        options.fractions = (0.5, 0.25, 0.25)
        // Four labelled slices are too few for gapped slabs; this test is about the cutting.
        options.splitRule = .slice
        options.seed = 3
        let summary = try NiftiImporter.run(options)
        // Only z = 3...6 hold labels: 4 slices, split 2/1/1.
        #expect(summary.slices == [.train: 2, .val: 1, .test: 1])
        #expect(summary.classCount == 3)

        let dataset = try Dataset.open(DatasetOptions(
            imageDirectory: summary.imageDirectory, maskDirectory: summary.maskDirectory,
            splits: [.train, .val, .test], segmentationClasses: 3, imageSize: 32))
        let names = Split.allCases.flatMap { dataset.samples($0).map(\.name) }.sorted()
        #expect(names == ["head_z3.png", "head_z4.png", "head_z5.png", "head_z6.png"])

        // Rows are flipped (y = 0 at the bottom); labels along x: 1 2 ... grouped to 1 1 2 2 2.
        let split = Split.allCases.first { dataset.samples($0).contains { $0.name == "head_z4.png" } }!
        let mask = try ImageFile.read("\(summary.maskDirectory)/all/\(split.rawValue)/head_z4.png").samples
        #expect(mask.shape == [1, 12, 16])
        let row = mask.selected(dim: 1, index: 11 - 5).reshaped([-1]).scalars(as: UInt8.self)
        #expect(row == [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2])
        #expect(mask.selected(dim: 1, index: 11).to(.int64).sum().item == 0)
        // Min-max over the volume: x = 0 at z = 4 is -496 of [-500, 1009] -> 1 (of 255).
        let image = try ImageFile.read("\(summary.imageDirectory)/\(split.rawValue)/head_z4.png").samples
        #expect(image.dtype == .uint8)
        #expect(image.selected(dim: 1, index: 0).selected(dim: 1, index: 0).item == 1)
    }

    @Test func splittingByVolumeKeepsEachVolumeTogether() throws {
        let (imagePath, labelPath) = try writeVolumes()
        var options = NiftiImportOptions(volumes: [(imagePath, labelPath), (imagePath, labelPath)], output: folder.path + "/byvolume")
        options.splitRule = .volume
        options.fractions = (1, 1, 0)
        options.bitDepth = 16
        let summary = try NiftiImporter.run(options)
        #expect(summary.slices == [.train: 4, .val: 4])
        let train = try FileManager.default.contentsOfDirectory(atPath: summary.imageDirectory + "/train")
        #expect(Set(train.map { $0.prefix(7) }).count == 1)
        #expect(try ImageFile.read(summary.imageDirectory + "/train/" + train[0]).samples.dtype == .uint16)
    }

    @Test func importNeverWritesIntoAnExistingDataSet() throws {
        let (imagePath, labelPath) = try writeVolumes()
        let output = folder.path + "/existing"
        try FileManager.default.createDirectory(atPath: output + "/images", withIntermediateDirectories: true)
        let error = #expect(throws: DataError.self) {
            try NiftiImporter.run(NiftiImportOptions(volumes: [(imagePath, labelPath)], output: output))
        }
        #expect(error?.message == "\(output)/images already exists; choose a new --output folder so no data set is overwritten")
        #expect(try FileManager.default.contentsOfDirectory(atPath: output) == ["images"])
    }

    @Test func badLabelMapEntryIsNamed() {
        let error = #expect(throws: DataError.self) { try LabelGrouping.parse("1-20:1,abc") }
        #expect(error?.message == "--label_map entry \"abc\" is not LABEL:CLASS or LOW-HIGH:CLASS (for example 1-20:1,21-40:2)")
    }
}
