import Foundation
import Torch

/// Writes TensorBoard event files (`events.out.tfevents.<time>.<host>`): scalar summaries as
/// `simple_value` and images as PNG-encoded image summaries, in TFRecord framing with masked CRC-32C.
/// Records are flushed as they are written, so a crash loses at most the record being written.
public final class TensorBoardWriter {
    public let path: String
    private let handle: FileHandle
    private var warned = false

    /// Creates a new event file in `directory`.
    public init(directory: String) throws {
        try OutputFolder.create(atPath: directory)
        let host = ProcessInfo.processInfo.hostName
        let time = Int(Date().timeIntervalSince1970)
        var name = "events.out.tfevents.\(time).\(host)"
        var suffix = 1
        while FileManager.default.fileExists(atPath: directory + "/" + name) {
            name = "events.out.tfevents.\(time).\(host).\(suffix)"
            suffix += 1
        }
        path = directory + "/" + name
        guard FileManager.default.createFile(atPath: path, contents: nil),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw EventFileError(path: path)
        }
        self.handle = handle
        write { $0.string(3, "brain.Event:2") } // file_version, first in every event file
    }

    deinit { try? handle.close() }

    public func scalar(_ tag: String, _ value: Double, step: Int) {
        write(step: step) { summary in
            summary.message(1) { entry in
                entry.string(1, tag)
                entry.float(2, Float(value))
            }
        }
    }

    /// An image summary from PNG bytes.
    public func image(_ tag: String, png: [UInt8], width: Int, height: Int, channels: Int, step: Int) {
        write(step: step) { summary in
            summary.message(1) { entry in
                entry.string(1, tag)
                entry.message(4) { image in
                    image.int64(1, Int64(height))
                    image.int64(2, Int64(width))
                    image.int64(3, Int64(channels))
                    image.bytes(4, png)
                }
            }
        }
    }

    private func write(step: Int, summary: (inout ProtobufWriter) -> Void) {
        write { event in
            event.int64(2, Int64(step))
            event.message(5, summary)
        }
    }

    /// One Event message (wall time first), framed as a TFRecord.
    private func write(_ fields: (inout ProtobufWriter) -> Void) {
        var event = ProtobufWriter()
        event.double(1, Date().timeIntervalSince1970)
        fields(&event)
        var record: [UInt8] = []
        let length = withUnsafeBytes(of: UInt64(event.bytes.count).littleEndian) { Array($0) }
        record += length
        record += withUnsafeBytes(of: CRC32C.masked(length).littleEndian) { Array($0) }
        record += event.bytes
        record += withUnsafeBytes(of: CRC32C.masked(event.bytes).littleEndian) { Array($0) }
        handle.appendLog(Data(record), path: path, warned: &warned)
    }
}

struct EventFileError: Error, CustomStringConvertible {
    let path: String
    var description: String { "cannot create \(path): check that the output folder is writable" }
}
