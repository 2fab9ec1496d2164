import Datasets
import Foundation
import Testing
import TestSupport
import Torch

/// segmadiff's DICOM reading (GDCM) against pydicom's on the real files pydicom ships: odd
/// photometric interpretations, rescales and compressed transfer syntaxes. The expected values
/// come from scripts/fixtures/dicom_expected.py run by the venv that `make setup` installs; the
/// tests skip only when that venv is absent.
@Suite("DICOM against pydicom", .enabled(if: PydicomVenv.available, "pydicom's venv .deps/pychecks is absent (make setup installs it)"))
struct DicomPydicomTests {
    static let python = PydicomVenv.python
    static let script = Fixtures.packageRoot.appendingPathComponent("scripts/fixtures/dicom_expected.py").path

    /// A shipped file and what makes it a test: the header value that must hold, so that a newer
    /// pydicom replacing the file cannot quietly turn the case into a plain one.
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var photometric: String?
        var transferSyntax: String?
        var rescaled = false
        /// Largest difference allowed: 0, except for lossy JPEG, whose standard lets two decoders'
        /// inverse DCTs differ by one unit.
        var tolerance = 0.0
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "CT_small.dcm", transferSyntax: "1.2.840.10008.1.2.1", rescaled: true),
        Case(name: "MR_small_implicit.dcm", transferSyntax: "1.2.840.10008.1.2"),
        Case(name: "MR_small_bigendian.dcm", transferSyntax: "1.2.840.10008.1.2.2"),
        Case(name: "image_dfl.dcm", transferSyntax: "1.2.840.10008.1.2.1.99"),
        Case(name: "MR_small_RLE.dcm", transferSyntax: "1.2.840.10008.1.2.5"),
        Case(name: "MR_small_jp2klossless.dcm", transferSyntax: "1.2.840.10008.1.2.4.90"),
        Case(name: "JPEG2000.dcm", transferSyntax: "1.2.840.10008.1.2.4.91"),
        Case(name: "MR_small_jpeg_ls_lossless.dcm", transferSyntax: "1.2.840.10008.1.2.4.80"),
        Case(name: "JPEGLSNearLossless_16.dcm", transferSyntax: "1.2.840.10008.1.2.4.81"),
        Case(name: "JPGExtended.dcm", transferSyntax: "1.2.840.10008.1.2.4.51", tolerance: 1),
        // A computed radiograph (dicomdirtests/77654033/CR1): MONOCHROME1, 12 of 16 bits, slope 0.684.
        Case(name: "6154", photometric: "MONOCHROME1", rescaled: true),
    ]

    @Test(arguments: cases)
    func readsAsPydicomDoes(_ testCase: Case) throws {
        let folder = TemporaryFolder()
        let expected = try Self.reference(testCase.name, in: folder.path)
        // Each file is the only one of its series: its own folder.
        let seriesFolder = folder.path + "/series"
        try FileManager.default.createDirectory(atPath: seriesFolder, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: expected.fields.path, toPath: seriesFolder + "/" + testCase.name)

        if let photometric = testCase.photometric { #expect(expected.fields.photometric == photometric) }
        if let syntax = testCase.transferSyntax { #expect(expected.fields.transfer_syntax == syntax) }
        if testCase.rescaled { #expect(expected.fields.slope != 1 || expected.fields.intercept != 0) }

        let volume = try DicomVolume.read(folder: seriesFolder)
        let header = volume.layout.slices[0]
        #expect(header.photometric == expected.fields.photometric)
        #expect(header.transferSyntax == expected.fields.transfer_syntax)
        #expect(header.slope == expected.fields.slope && header.intercept == expected.fields.intercept)
        #expect(volume.data.shape == [1, expected.fields.rows, expected.fields.columns])
        let values = volume.data.reshaped([-1])
        let reference = expected.values.reshaped([-1])
        #expect(values.count == reference.count)
        let difference = (values - reference).abs().max().item
        #expect(difference <= testCase.tolerance, "\(testCase.name): largest difference from pydicom \(difference)")
    }

    /// dicomdirtests/98892001/CT5N: five slices of a real head CT, 2.5 mm apart, whose file names
    /// run against their positions.
    @Test func readsARealSeriesInPydicomsOrder() throws {
        let folder = TemporaryFolder()
        let expected = try Self.reference("CT5N", in: folder.path)
        try FileManager.default.copyItem(atPath: expected.fields.path, toPath: folder.path + "/CT5N")
        let volume = try DicomVolume.read(folder: folder.path + "/CT5N")
        #expect(volume.data.shape == [5, 16, 16])
        #expect(volume.layout.slices.map { $0.position ?? [] } == expected.fields.positions)
        #expect(abs(volume.grid.spacing[2] - 2.5) < 1e-6)
        #expect((volume.data - expected.values).abs().max().item == 0)
    }

    /// Real series that are not one regular stack: dicomdirtests/77654033/CT2 jumps 202.5 mm
    /// after its first slice; dicomdirtests/98892001/CT2N is two localizers at right angles.
    @Test func realBrokenSeriesAreOneLineErrors() throws {
        let folder = TemporaryFolder()
        for name in ["CT2", "CT2N"] {
            let expected = try Self.reference(name, in: folder.path)
            try FileManager.default.copyItem(atPath: expected.fields.path, toPath: folder.path + "/" + name)
        }
        let gap = #expect(throws: DataError.self) { try DicomVolume.read(folder: folder.path + "/CT2") }
        #expect(gap?.message.contains("is missing 161 slices between \(folder.path)/CT2/17106 and \(folder.path)/CT2/17136") == true)
        let localizers = #expect(throws: DataError.self) { try DicomVolume.read(folder: folder.path + "/CT2N") }
        #expect(localizers?.message.contains("mixes slice orientations") == true)
    }

    /// pydicom's MR_truncated.dcm ends inside its pixel data.
    @Test func aRealTruncatedFileIsAnErrorNamingIt() throws {
        let folder = TemporaryFolder()
        let expected = try Self.fields("MR_truncated.dcm", in: folder.path)
        try FileManager.default.createDirectory(atPath: folder.path + "/series", withIntermediateDirectories: true)
        let copy = folder.path + "/series/MR_truncated.dcm"
        try FileManager.default.copyItem(atPath: expected.path, toPath: copy)
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: folder.path + "/series") }
        #expect(error?.message.hasPrefix("\(copy): ") == true)
    }

    /// What import-dicom does not read yet says so, naming the file and the way round it.
    @Test(arguments: [("rtdose.dcm", "holds 15 frames in one file"), ("SC_rgb_small_odd.dcm", "is a colour image (RGB, 3 samples per pixel)")])
    func unreadKindsAreNamed(name: String, words: String) throws {
        let folder = TemporaryFolder()
        let expected = try Self.fields(name, in: folder.path)
        try FileManager.default.createDirectory(atPath: folder.path + "/series", withIntermediateDirectories: true)
        let copy = folder.path + "/series/" + name
        try FileManager.default.copyItem(atPath: expected.path, toPath: copy)
        let error = #expect(throws: DataError.self) { try DicomVolume.read(folder: folder.path + "/series") }
        #expect(error?.message.hasPrefix("\(copy) \(words)") == true, "\(error?.message ?? "")")
    }

    struct Fields: Decodable {
        var positions: [[Double]]?
        var path: String
        var photometric: String
        var transfer_syntax: String
        var slope: Double
        var intercept: Double
        var rows: Int
        var columns: Int
    }

    /// The header fields of a file pydicom cannot decode (the script's --fields mode).
    static func fields(_ name: String, in folder: String) throws -> Fields {
        try run([script, "--fields", folder, name])
        return try JSONDecoder().decode(Fields.self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).json")))
    }

    /// Runs the reference script; its failure fails the test (the venv is there).
    static func run(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw DataError("\(arguments.joined(separator: " ")) failed (status \(process.terminationStatus)): \(message)")
        }
    }

    /// The header fields and real values pydicom reads from one file or series folder.
    static func reference(_ name: String, in folder: String) throws -> (fields: Fields, values: Tensor) {
        try run([script, folder, name])
        let fields = try JSONDecoder().decode(Fields.self, from: Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).json")))
        let values = try NPYFile.decode(Data(contentsOf: URL(fileURLWithPath: "\(folder)/\(name).npy")))
        return (fields, values.to(.float64))
    }
}

/// The venv `make setup` installs pydicom into.
enum PydicomVenv {
    static let python = Fixtures.packageRoot.appendingPathComponent(".deps/pychecks/bin/python3").path
    static var available: Bool { FileManager.default.isExecutableFile(atPath: python) }
}
