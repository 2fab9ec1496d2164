import Foundation
import Testing
import TestSupport
import Torch
@testable import Datasets

/// The parsers of data files refuse absurd headers before allocating, and refuse NaN data.
@Suite struct HostileFileTests {
    func npy(_ descr: String, _ shape: String, dataBytes: Int = 64) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        data.append(Data(count: dataBytes))
        return data
    }

    @Test func npyShapesThatOverflowAreRefused() throws {
        for shape in ["(4000000000, 4000000000)", "(4611686018427387904, 4)", "(3037000500, 3037000500, 2)"] {
            #expect { _ = try NPYFile.decode(npy("<f4", shape)) } throws: { "\($0)".contains("impossible shape") }
        }
        #expect { _ = try NPYFile.decode(npy("<f4", "(16, 16)")) } throws: { "\($0)".contains("ends early") }
        #expect(try NPYFile.decode(npy("<f4", "(4, 4)")).shape == [4, 4])
    }

    @Test func npyImageOfNaNIsRefusedNamingTheFile() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/nan.npy"
        try ImageFile.writeNPY(Tensor.full([8, 8], .nan, TensorOptions(.float32)), to: path)
        #expect { _ = try ImageFile.read(path) } throws: { "\($0)".contains(path) && "\($0)".contains("NaN") }
    }

    @Test func pngAndJPEGHeadersAreCheckedBeforeDecoding() throws {
        var bytes = [UInt8](try PixelCodec.encodePNG(Tensor.zeros([1, 4, 4], TensorOptions(.uint8))))
        for (offset, value) in [(16, UInt32(60000)), (20, UInt32(60000))] {
            withUnsafeBytes(of: value.bigEndian) { bytes.replaceSubrange(offset..<(offset + 4), with: $0) }
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes[12..<29] {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        withUnsafeBytes(of: (~crc).bigEndian) { bytes.replaceSubrange(29..<33, with: $0) }
        #expect { _ = try PixelCodec.decode(Data(bytes)) } throws: { "\($0)".contains("60000x60000") }
    }

    @Test func sixteenBitLabelPlanesReduce() throws {
        let labels = Tensor([0, 1, 2, 1] as [Int64], shape: [1, 2, 2]).to(.uint16)
        let plane = try #require(RawImage(samples: labels, bitDepth: 16).labelPlane())
        #expect(plane.dtype == .int32)
        #expect(plane.max().item == 2 && plane.min().item == 0)
    }

    // MARK: NIfTI

    func nifti(_ edit: (inout [UInt8]) -> Void) throws -> [UInt8] {
        let folder = TemporaryFolder()
        let path = folder.path + "/v.nii"
        try NiftiWriter.write(Tensor.ones([2, 3, 4], TensorOptions(.float32)), to: path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        edit(&bytes)
        return bytes
    }

    func put<T: FixedWidthInteger>(_ value: T, _ offset: Int, _ bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }

    @Test func niftiHeadersWithImpossibleFieldsAreRefused() throws {
        let cases: [(String, (inout [UInt8]) -> Void)] = [
            ("vox_offset", { self.put(Float.nan.bitPattern, 108, &$0) }),
            ("vox_offset", { self.put(Float(-4).bitPattern, 108, &$0) }),
            ("vox_offset", { self.put(Float.infinity.bitPattern, 108, &$0) }),
            ("dimension of 0", { self.put(Int16(0), 42, &$0) }),
            ("dimension of -3", { self.put(Int16(-3), 46, &$0) }),
            ("voxels", { bytes in for offset in [42, 44, 46] { self.put(Int16.max, offset, &bytes) } }),
            ("scl_slope", { self.put(Float.nan.bitPattern, 112, &$0) }),
            ("scl_inter", { self.put(Float.infinity.bitPattern, 116, &$0) }),
        ]
        for (words, edit) in cases {
            let bytes = try nifti(edit)
            #expect { _ = try NiftiVolume.parse(bytes) } throws: { error in
                (error as? NiftiVolume.NiftiFailure)?.reason.contains(words) == true
            }
        }
        #expect(try NiftiVolume.parse(nifti { _ in }).dims == [4, 3, 2])
    }

    @Test func niftiVoxelsOfNaNAreRefused() throws {
        let bytes = try nifti { bytes in self.put(Float.nan.bitPattern, 352, &bytes) }
        #expect { _ = try NiftiVolume.parse(bytes) } throws: { ($0 as? NiftiVolume.NiftiFailure)?.reason.contains("NaN") == true }
    }

    @Test func gzipReadsStopAtTheLimit() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/v.nii.gz"
        try NiftiWriter.write(Tensor.ones([8, 8, 8], TensorOptions(.float32)), to: path)
        #expect(try NiftiVolume.readWhole(path, limit: 348).count == 348)
        #expect(try NiftiVolume.readWhole(path, limit: 1 << 30).count == 352 + 8 * 8 * 8 * 4)
        #expect(try NiftiVolume.read(path).dims == [8, 8, 8])
    }

    @Test func labelMapsAreBoundedAndSizedByTheMap() throws {
        #expect { _ = try LabelGrouping.parse("1-1000000000000:1") } throws: { "\($0)".contains("1000000000000") }
        #expect { _ = try LabelGrouping.parse("1:70000") } throws: { "\($0)".contains("70000") }
        let grouping = try LabelGrouping.parse("1-2:1,5:2")
        let mapped = grouping.apply(Tensor([0, 1, 2, 5, 6, 1 << 40] as [Int64], shape: [6]))
        #expect(mapped.scalars(as: Int64.self) == [0, 1, 1, 2, 0, 0])
    }
}
