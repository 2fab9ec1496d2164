import Datasets
import Foundation
import Testing
import TestSupport
import Torch

/// Series written through GDCM by `DicomSeriesWriter` from known volumes, read back by the importer.
@Suite("DICOM series")
struct DicomSeriesTests {
    let folder = TemporaryFolder()

    /// 6 slices of 10 rows x 12 columns; voxel (i, j, k) = 100k + 10j + i - 1000 + 0.5 (HU-like,
    /// a multiple of the 0.5 slope), so every value says where it came from.
    static let volume: Tensor = {
        let i = Tensor.arange(0, 12, .init(.float64)).reshaped(1, 1, 12)
        let j = Tensor.arange(0, 10, .init(.float64)).reshaped(1, 10, 1)
        let k = Tensor.arange(0, 6, .init(.float64)).reshaped(6, 1, 1)
        return (k * 100 + j * 10 + i - 999.5).contiguous()
    }()

    /// Oblique-free but off-origin, anisotropic: columns 0.7 mm, rows 0.8 mm, slices 2.5 mm apart.
    static let grid = VoxelGrid(shape: [12, 10, 6], spacing: [0.7, 0.8, 2.5], origin: [-20.5, 10.25, 30],
                                directions: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])

    static func options(_ syntax: DicomSeriesWriter.TransferSyntax = .explicitLittleEndian) -> DicomSeriesWriter.Options {
        var options = DicomSeriesWriter.Options()
        options.rescale = (0.5, -1024)
        options.transferSyntax = syntax
        return options
    }

    /// Writes the known volume, then renames the files so that their names run against slice order
    /// and puts half of them in a subfolder: order must come from the positions, search must recurse.
    private func writeSeries(_ name: String, _ syntax: DicomSeriesWriter.TransferSyntax = .explicitLittleEndian) throws -> (folder: String, uid: String) {
        let path = "\(folder.path)/\(name)"
        let uid = try DicomSeriesWriter.write(Self.volume, grid: Self.grid, to: path, options: Self.options(syntax))
        try FileManager.default.createDirectory(atPath: path + "/deeper", withIntermediateDirectories: true)
        for k in 0..<6 {
            let target = k % 2 == 0 ? "\(path)/deeper/z\(9 - k).dcm" : "\(path)/z\(9 - k).dcm"
            try FileManager.default.moveItem(atPath: "\(path)/slice\(String(format: "%04d", k + 1)).dcm", toPath: target)
        }
        return (path, uid)
    }

    @Test func roundTripKeepsValuesOrderSpacingAndRescale() throws {
        let (path, uid) = try writeSeries("ct")
        let read = try DicomVolume.read(folder: path)
        #expect(read.seriesUID == uid)
        #expect(read.data.shape == [6, 10, 12])
        // Exact: stored (v + 1024) / 0.5 is an integer, and 0.5 · stored - 1024 gives v back.
        #expect(read.data.eq(Self.volume).all().item == 1)
        #expect(read.grid.shape == Self.grid.shape)
        for a in 0..<3 {
            #expect(abs(read.grid.spacing[a] - Self.grid.spacing[a]) < 1e-9)
            #expect(abs(read.grid.origin[a] - Self.grid.origin[a]) < 1e-9)
            #expect(read.grid.directions[a] == Self.grid.directions[a])
        }
        #expect(read.layout.slices.map(\.instanceNumber) == [1, 2, 3, 4, 5, 6])
        #expect(read.layout.slices.allSatisfy { $0.slope == 0.5 && $0.intercept == -1024 && $0.modality == "CT" })
    }

    @Test(arguments: [DicomSeriesWriter.TransferSyntax.rle, .jpegLSLossless, .jpeg2000Lossless, .jpegLossless])
    func compressedSeriesDecodeToTheSameValues(syntax: DicomSeriesWriter.TransferSyntax) throws {
        let (path, _) = try writeSeries("ct-\(syntax)", syntax)
        let read = try DicomVolume.read(folder: path)
        #expect(read.layout.slices[0].transferSyntax != "1.2.840.10008.1.2.1")
        #expect(read.data.eq(Self.volume).all().item == 1)
    }

    @Test func writtenSeriesSaysItIsSynthetic() throws {
        let (path, _) = try writeSeries("ct")
        let header = try #require(try DicomHeader.read(path + "/deeper/z9.dcm"))
        #expect(header.seriesDescription.hasPrefix("SYNTHETIC"))
        #expect(header.position == [-20.5, 10.25, 30])
        #expect(header.orientation == [1, 0, 0, 0, 1, 0])
        #expect(header.pixelSpacing == [0.8, 0.7])
    }

    @Test func theLargestSeriesIsTakenUnlessAUIDIsGiven() throws {
        let (path, bigUID) = try writeSeries("mixed")
        var small = Self.options()
        small.filePrefix = "other"
        let smallGrid = VoxelGrid(shape: [12, 10, 2], spacing: [1, 1, 3], origin: [0, 0, 0], directions: Self.grid.directions)
        let smallUID = try DicomSeriesWriter.write(Self.volume.sliced(dim: 0, start: 0, end: 2) + 7, grid: smallGrid, to: path, options: small)
        #expect(try DicomVolume.read(folder: path).seriesUID == bigUID)
        let chosen = try DicomVolume.read(folder: path, seriesUID: smallUID)
        #expect(chosen.data.shape == [2, 10, 12])
        #expect(abs(chosen.grid.spacing[2] - 3) < 1e-9)
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: path, seriesUID: "1.2.3") }
        #expect(error?.message.hasPrefix("\(path) has no series 1.2.3; it holds \(bigUID) (6 files") == true)
        #expect(error?.message.contains(smallUID) == true)
    }

    // MARK: broken series

    @Test func aMissingSliceIsNamed() throws {
        let (path, uid) = try writeSeries("missing")
        try FileManager.default.removeItem(atPath: path + "/z6.dcm")  // k = 3
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: path) }
        #expect(error?.message.hasPrefix("series \(uid) in \(path) is missing 1 slice between ") == true)
        #expect(error?.message.contains("re-export the complete series") == true)
    }

    @Test func aSliceOfAnotherSeriesIsLeftOut() throws {
        let (path, _) = try writeSeries("stray")
        var other = Self.options()
        other.filePrefix = "stray"
        let shifted = VoxelGrid(shape: [12, 10, 1], spacing: Self.grid.spacing, origin: [0, 0, 31], directions: Self.grid.directions)
        try DicomSeriesWriter.write(Self.volume.sliced(dim: 0, start: 0, end: 1) * 0, grid: shifted, to: path, options: other)
        let read = try DicomVolume.read(folder: path)
        #expect(read.layout.slices.count == 6)
        #expect(read.data.eq(Self.volume).all().item == 1)
    }

    @Test func aSliceOfAnotherSizeInTheSameSeriesIsAnError() throws {
        let (path, uid) = try writeSeries("sizes")
        var intruder = Self.options()
        intruder.seriesUID = uid
        intruder.filePrefix = "intruder"
        let grid = VoxelGrid(shape: [8, 10, 1], spacing: Self.grid.spacing, origin: [-20.5, 10.25, 45], directions: Self.grid.directions)
        try DicomSeriesWriter.write(Self.volume.sliced(dim: 0, start: 0, end: 1).sliced(dim: 2, start: 0, end: 8), grid: grid, to: path, options: intruder)
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: path) }
        #expect(error?.message.hasPrefix("series \(uid) in \(path) mixes image sizes") == true)
    }

    /// GDCM pads pixel data cut short and only warns; the warning is caught and made an error.
    @Test func aTruncatedFileIsAnErrorNamingIt() throws {
        let (path, _) = try writeSeries("truncated")
        let file = path + "/z8.dcm"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        try bytes.prefix(bytes.count - 100).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: path) }
        #expect(error?.message.hasPrefix("\(file): ") == true)
        #expect(error?.message.contains("\n") == false)
    }

    /// GDCM stops on this file with assert() (in FileMetaInformation::ReadCompat): without the C
    /// interface's guard the test process itself would abort here.
    @Test func aFileCutInsideItsHeaderIsAnErrorNamingIt() throws {
        let (path, _) = try writeSeries("cut-header")
        let file = path + "/z8.dcm"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
        try bytes.prefix(400).write(to: URL(fileURLWithPath: file))
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: path) }
        #expect(error?.message.hasPrefix("\(file): ") == true)
    }

    @Test func shearedPositionsAreAGantryTiltError() throws {
        var options = Self.options()
        // Each slice 0.5 mm further along y than the one before: sheared by atan(0.5 / 2.5).
        options.slicePositions = (0..<6).map { k -> [Double] in
            let step = Double(k)
            return [-20.5, 10.25 + 0.5 * step, 30 + 2.5 * step]
        }
        let path = folder.path + "/tilt"
        let uid = try DicomSeriesWriter.write(Self.volume, grid: Self.grid, to: path, options: options)
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: path) }
        #expect(error?.message.hasPrefix("series \(uid) in \(path) has slices sheared by 11.31° (gantry tilt") == true)
    }

    @Test func unevenSpacingIsAnError() throws {
        var options = Self.options()
        options.slicePositions = [0, 2.5, 5, 8, 10.5, 13].map { [-20.5, 10.25, 30 + $0] }
        let path = folder.path + "/uneven"
        let uid = try DicomSeriesWriter.write(Self.volume, grid: Self.grid, to: path, options: options)
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: path) }
        #expect(error?.message == "series \(uid) in \(path) has uneven slice spacing, from 2.500 to 3.000 mm; resample it to even spacing first (for example with dcm2niix or SimpleITK, then use import-nifti)")
    }

    @Test func twoSlicesAtOnePositionAreAnError() throws {
        var options = Self.options()
        options.slicePositions = [0, 2.5, 5, 5, 7.5, 10].map { [-20.5, 10.25, 30 + $0] }
        let path = folder.path + "/doubled"
        try DicomSeriesWriter.write(Self.volume, grid: Self.grid, to: path, options: options)
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: path) }
        #expect(error?.message.contains("lie at the same position") == true)
    }

    @Test func aFolderWithoutDicomIsNamed() throws {
        let path = folder.path + "/empty"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try Data("not dicom".utf8).write(to: URL(fileURLWithPath: path + "/notes.txt"))
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: path) }
        #expect(error?.message == "\(path) holds no DICOM images (searched recursively); check the --series folder")
    }
}
