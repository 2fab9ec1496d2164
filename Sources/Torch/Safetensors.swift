import Foundation

/// The safetensors file format: an 8-byte little-endian header length, a JSON header naming each
/// tensor's dtype, shape and byte range, then the raw little-endian data.
public enum Safetensors {
    public struct FormatError: Error, CustomStringConvertible {
        public let file: String
        public let reason: String
        public var description: String { "\(file) is not a valid safetensors file: \(reason)" }
    }

    /// The dtype names of the format, for the dtypes segmadiff reads and writes.
    static let dtypeNames: [String: DType] = [
        "F32": .float32, "F16": .float16, "BF16": .bfloat16, "F64": .float64,
        "I64": .int64, "I32": .int32, "I16": .int16, "I8": .int8, "U8": .uint8, "U16": .uint16, "BOOL": .bool,
    ]

    static func name(of dtype: DType) -> String {
        dtypeNames.first { $0.value == dtype }!.key
    }

    /// The largest header the format allows (100 MB, as the reference implementation enforces).
    static let maximumHeaderLength: UInt64 = 100_000_000

    /// A file opened by memory map; tensors are copied out one by one on request.
    public struct File {
        public let path: String
        public let metadata: [String: String]
        private let data: Data
        private let dataStart: Int
        private let entries: [String: (dtype: DType, shape: [Int], range: Range<Int>)]

        public var keys: [String] { entries.keys.sorted() }

        public func shape(_ key: String) -> [Int]? { entries[key]?.shape }
        public func dtype(_ key: String) -> DType? { entries[key]?.dtype }

        public init(path: String) throws {
            self.path = path
            let url = URL(fileURLWithPath: path)
            do {
                data = try Data(contentsOf: url, options: .alwaysMapped)
            } catch {
                throw FormatError(file: path, reason: "cannot be read (\((error as NSError).localizedDescription))")
            }
            func fail(_ reason: String) -> FormatError { FormatError(file: path, reason: reason) }
            guard data.count >= 8 else { throw fail("it is shorter than its 8-byte header length") }
            let headerLength = data.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
            guard headerLength <= UInt64(data.count - 8) else {
                throw fail("its header length \(headerLength) runs past the end of the \(data.count)-byte file (truncated or not safetensors)")
            }
            // The format's own limit: a longer header is corrupt, not a model worth parsing.
            guard headerLength <= Safetensors.maximumHeaderLength else {
                throw fail("its header length \(headerLength) exceeds the format's \(Safetensors.maximumHeaderLength) bytes")
            }
            dataStart = 8 + Int(headerLength)
            let header = data.subdata(in: 8..<dataStart)
            guard let json = try? JSONSerialization.jsonObject(with: header) as? [String: Any] else {
                throw fail("its header is not a JSON object")
            }
            var metadata: [String: String] = [:]
            var entries: [String: (DType, [Int], Range<Int>)] = [:]
            let payload = data.count - dataStart
            for (key, value) in json {
                if key == "__metadata__" {
                    metadata = (value as? [String: String]) ?? [:]
                    continue
                }
                guard let info = value as? [String: Any], let typeName = info["dtype"] as? String,
                      let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int],
                      offsets.count == 2 else { throw fail("entry \(key) lacks dtype, shape or data_offsets") }
                guard let dtype = dtypeNames[typeName] else { throw fail("entry \(key) has unsupported dtype \(typeName)") }
                let (begin, end) = (offsets[0], offsets[1])
                guard begin >= 0, begin <= end, end <= payload else {
                    throw fail("entry \(key) points outside the data (bytes \(begin)..<\(end) of \(payload))")
                }
                // Checked for overflow: a shape such as [2^32, 2^32] must be refused, not multiplied.
                guard let bytes = ElementCount.bytes(shape, elementSize: dtype.size) else {
                    throw fail("entry \(key) has an impossible shape \(shape) (a negative side, or sides that multiply past 2^63)")
                }
                guard end - begin == bytes else {
                    throw fail("entry \(key) has \(end - begin) bytes for shape \(shape) of \(dtype)")
                }
                entries[key] = (dtype, shape, begin..<end)
            }
            // Entries must not share bytes: overlapping ranges mean a corrupt or crafted file.
            let ranges = entries.map { (key: $0.key, range: $0.value.2) }.filter { !$0.range.isEmpty }
                .sorted { $0.range.lowerBound < $1.range.lowerBound }
            for (previous, next) in zip(ranges, ranges.dropFirst()) where next.range.lowerBound < previous.range.upperBound {
                throw fail("entries \(previous.key) and \(next.key) overlap (bytes \(previous.range) and \(next.range))")
            }
            self.metadata = metadata
            self.entries = entries
        }

        /// The tensor stored under `key`, on `device`.
        public func tensor(_ key: String, on device: Device = .cpu) -> Tensor? {
            guard let entry = entries[key] else { return nil }
            let start = dataStart + entry.range.lowerBound
            return data.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[start..<(start + entry.range.count)])
                return Tensor(bytes: bytes, dtype: entry.dtype, shape: entry.shape, on: device)
            }
        }

        /// Every tensor in the file.
        public func tensors(on device: Device = .cpu) -> [String: Tensor] {
            Dictionary(uniqueKeysWithValues: keys.map { ($0, tensor($0, on: device)!) })
        }
    }

    public static func load(_ path: String, on device: Device = .cpu) throws -> [String: Tensor] {
        try File(path: path).tensors(on: device)
    }

    /// The 8-byte length and JSON header of a file holding `tensors` in sorted key order (padded
    /// with spaces to a multiple of 8 bytes, so the data start aligned), and that order.
    static func header(_ tensors: [String: Tensor], metadata: [String: String]) throws -> (bytes: Data, keys: [String]) {
        let keys = tensors.keys.sorted()
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for key in keys {
            let tensor = tensors[key]!
            let count = tensor.byteCount
            header[key] = ["dtype": name(of: tensor.dtype), "shape": tensor.shape, "data_offsets": [offset, offset + count]] as [String: Any]
            offset += count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        return (out, keys)
    }

    /// The bytes of a safetensors file holding `tensors` (keys sorted; header padded to 8 bytes).
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) throws -> Data {
        let (head, keys) = try header(tensors, metadata: metadata)
        var out = head
        for key in keys { out.append(contentsOf: tensors[key]!.bytes()) }
        return out
    }

    /// Writes `tensors` to `path` atomically: a crash never leaves a half-written file behind.
    /// The header goes first, then each tensor's bytes through one reused buffer the size of the
    /// largest tensor, so a checkpoint of any size never sits in memory whole (the full model's
    /// training state is about 1.4 GB).
    public static func save(_ tensors: [String: Tensor], to path: String, metadata: [String: String] = [:]) throws {
        let (head, keys) = try header(tensors, metadata: metadata)
        let largest = tensors.values.map(\.byteCount).max() ?? 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Swift.max(largest, 1), alignment: 64)
        defer { buffer.deallocate() }
        try AtomicFile.write(to: path) { sink in
            try sink.write(head)
            for key in keys {
                let tensor = tensors[key]!
                tensor.copyBytes(into: buffer.baseAddress!)
                try sink.write(UnsafeRawBufferPointer(rebasing: buffer[0..<tensor.byteCount]))
            }
        }
    }
}
