import Foundation
import Testing
import TestSupport
import Datasets

/// Inputs the fuzz harnesses (Fuzz/, scripts/fuzz.sh) and their directed checks found, fed to the
/// real readers: each must be refused with one line naming the file, before any large allocation.
@Suite struct FuzzFindingTests {
    /// A PNG of an IHDR (valid CRC), one small IDAT and IEND.
    static func png(width: UInt32, height: UInt32, bitDepth: UInt8, colourType: UInt8) -> Data {
        func chunk(_ type: String, _ body: [UInt8]) -> [UInt8] {
            let typed = Array(type.utf8) + body
            var crc: UInt32 = 0xFFFF_FFFF
            for byte in typed {
                crc ^= UInt32(byte)
                for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            }
            return withUnsafeBytes(of: UInt32(body.count).bigEndian, Array.init) + typed + withUnsafeBytes(of: (~crc).bigEndian, Array.init)
        }
        let header = withUnsafeBytes(of: width.bigEndian, Array.init) + withUnsafeBytes(of: height.bigEndian, Array.init)
            + [bitDepth, colourType, 0, 0, 0]
        // zlib's stream for 100 zero bytes: far too little for the rows the header claims.
        let idat: [UInt8] = [0x78, 0x9C, 0x63, 0x60, 0xA0, 0x3D, 0x00, 0x00, 0x00, 0x64, 0x00, 0x01]
        return Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + chunk("IHDR", header) + chunk("IDAT", idat) + chunk("IEND", []))
    }

    /// A 69-byte PNG claiming 16384x16384 16-bit RGBA (inside the side and pixel limits) made the
    /// decoder allocate 2 GiB of rows before finding the data missing.
    @Test func smallPNGClaimingAHugeImageIsRefusedBeforeAllocating() throws {
        let folder = TemporaryFolder()
        for (name, depth, colour) in [("rgba16", UInt8(16), UInt8(6)), ("grey8", 8, 0)] {
            let path = folder.path + "/\(name).png"
            try Self.png(width: 16384, height: 16384, bitDepth: depth, colourType: colour).write(to: URL(fileURLWithPath: path))
            #expect { _ = try ImageFile.read(path) } throws: { error in
                let text = "\(error)"
                return text.contains(path) && text.contains("16384x16384") && text.contains("cannot fit") && !text.contains("\n")
            }
        }
    }

    /// An NPY image of no elements whose other sides multiply past 2^63: libtorch failed making the
    /// tensor ("Stride calculation overflowed") and the process ended from inside the engine.
    @Test func npyWithAnEmptySideAndOverflowingSidesIsRefused() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/empty.npy"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1099511627776, 1099511627776), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        try data.write(to: URL(fileURLWithPath: path))
        #expect { _ = try ImageFile.read(path) } throws: { error in
            let text = "\(error)"
            return text.contains(path) && text.contains("impossible shape") && !text.contains("\n")
        }
    }
}
