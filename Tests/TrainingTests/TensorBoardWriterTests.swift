import Foundation
import TestSupport
import Testing
@testable import Training

/// Reads the event file back with an independent TFRecord reader: every length and payload CRC
/// must verify, and the scalar events must carry their tag, step and value.
@Suite struct TensorBoardWriterTests {
    @Test func eventFileHasValidRecordsAndScalars() throws {
        let folder = TemporaryFolder()
        let writer = try TensorBoardWriter(directory: folder.path + "/logs")
        writer.scalar("loss", 0.25, step: 3)
        writer.scalar("lr", 1e-4, step: 3)
        writer.image("samples", png: [1, 2, 3], width: 4, height: 2, channels: 3, step: 3)
        let records = try readRecords(writer.path)
        #expect(records.count == 4)
        #expect(String(decoding: records[0], as: UTF8.self).contains("brain.Event:2"))
        let loss = fields(records[1])
        #expect(loss[2] == .varint(3))
        guard case .bytes(let summary)? = loss[5], case .bytes(let value)? = fields(summary)[1] else {
            Issue.record("no summary value")
            return
        }
        let entry = fields(value)
        #expect(entry[1] == .bytes(Array("loss".utf8)))
        #expect(entry[2] == .fixed32(Float(0.25).bitPattern))
    }

    @Test func crcMatchesTheKnownVector() {
        // CRC-32C of "123456789" is 0xE3069283 (RFC 3720 test vector).
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    private func readRecords(_ path: String) throws -> [[UInt8]] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var records: [[UInt8]] = []
        var i = 0
        func u32(_ at: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(data[at + $1]) << (8 * UInt32($1)) } }
        while i < data.count {
            let lengthBytes = Array(data[i..<(i + 8)])
            let length = lengthBytes.enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            #expect(u32(i + 8) == CRC32C.masked(lengthBytes), "length CRC of record \(records.count)")
            let payload = Array(data[(i + 12)..<(i + 12 + length)])
            #expect(u32(i + 12 + length) == CRC32C.masked(payload), "payload CRC of record \(records.count)")
            records.append(payload)
            i += 16 + length
        }
        return records
    }

    enum Field: Equatable { case varint(UInt64), fixed64(UInt64), fixed32(UInt32), bytes([UInt8]) }

    /// Top-level fields of a protobuf message (last occurrence wins).
    private func fields(_ message: [UInt8]) -> [Int: Field] {
        var result: [Int: Field] = [:]
        var i = 0
        func varint() -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let byte = message[i]; i += 1
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        while i < message.count {
            let key = varint()
            let field = Int(key >> 3)
            switch key & 7 {
            case 0: result[field] = .varint(varint())
            case 1:
                result[field] = .fixed64((0..<8).reduce(0) { $0 | UInt64(message[i + $1]) << (8 * UInt64($1)) }); i += 8
            case 5:
                result[field] = .fixed32((0..<4).reduce(0) { $0 | UInt32(message[i + $1]) << (8 * UInt32($1)) }); i += 4
            default:
                let n = Int(varint()); result[field] = .bytes(Array(message[i..<(i + n)])); i += n
            }
        }
        return result
    }
}
