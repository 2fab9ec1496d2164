import Datasets
import Foundation
import TestSupport
import Torch

/// Makers of hostile files for HostileInputTests: valid files with one field made absurd, so that
/// each case tests the check it names and not some earlier parse failure.
enum HostileFiles {
    // MARK: running the binary

    struct Result {
        let status: Int32
        let signalled: Bool
        let stderr: String
        /// Peak resident memory of the command in KiB (0 when /usr/bin/time is not there to measure it).
        let peakKilobytes: Int
    }

    /// Runs segmadiff with `arguments` in `directory`, under shell `limits` (`ulimit -f 1`) if given.
    static func run(_ arguments: [String], in directory: URL, limits: String?) throws -> Result {
        let process = Process()
        let measure = FileManager.default.isExecutableFile(atPath: "/usr/bin/time")
        let timeFile = directory.appendingPathComponent(".peak-memory-\(UUID().uuidString)")
        let measured = measure ? ["/usr/bin/time", "-f", "%M", "-o", timeFile.path] : []
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        // exec: the binary replaces the shell, so a signal that kills it is seen here as a signal.
        process.arguments = ["-c", "\(limits.map { $0 + "; " } ?? "")exec \"$@\"", "bash"] + measured
            + [SegMaDiffBinary.url.path] + arguments
        process.currentDirectoryURL = directory
        let err = Pipe()
        process.standardOutput = FileHandle.nullDevice
        process.standardError = err
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var text = String(decoding: stderr, as: UTF8.self)
        var status = process.terminationStatus
        var signalled = process.terminationReason == .uncaughtSignal
        var peak = 0
        if measure, let report = try? String(contentsOf: timeFile, encoding: .utf8) {
            try? FileManager.default.removeItem(at: timeFile)
            // time(1) reports a signal as "Command terminated by signal N" and exits 128 + N.
            if report.contains("terminated by signal") { signalled = true }
            if report.contains("exited with non-zero status") || signalled {
                status = signalled ? status - 128 : status
            }
            peak = report.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
            text = text.split(separator: "\n").filter { !$0.hasPrefix("Command ") }.joined(separator: "\n")
        }
        return Result(status: status, signalled: signalled, stderr: text, peakKilobytes: peak)
    }

    /// Every regular file under `root` (relative path: bytes), to prove nothing was overwritten.
    static func snapshot(_ root: URL) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let base = root.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { return files }
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
            let path = url.standardizedFileURL.path
            files[String(path.dropFirst(base.count))] = try Data(contentsOf: url)
        }
        return files
    }

    // MARK: images

    /// A valid 16x16 grey PNG whose IHDR then claims `width` x `height` (CRC recomputed, so libpng
    /// reads the header and segmadiff's size check is what refuses it).
    static func png(width: UInt32, height: UInt32) throws -> Data {
        var bytes = [UInt8](try PixelCodec.encodePNG(Tensor.zeros([1, 16, 16], TensorOptions(.uint8))))
        // Signature (8), IHDR length (4), "IHDR" (4), then width and height, big-endian.
        bytes.replaceSubrange(16..<20, with: bigEndian(width))
        bytes.replaceSubrange(20..<24, with: bigEndian(height))
        bytes.replaceSubrange(29..<33, with: bigEndian(crc32(bytes[12..<29])))
        return Data(bytes)
    }

    /// A valid 16x16 grey JPEG whose SOF0 then claims `width` x `height`.
    static func jpeg(width: UInt16, height: UInt16) throws -> Data {
        var bytes = [UInt8](try PixelCodec.encodeJPEG(Tensor.zeros([1, 16, 16], TensorOptions(.uint8))))
        let sof = (0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 }!
        bytes.replaceSubrange((sof + 5)..<(sof + 7), with: [UInt8(height >> 8), UInt8(height & 0xFF)])
        bytes.replaceSubrange((sof + 7)..<(sof + 9), with: [UInt8(width >> 8), UInt8(width & 0xFF)])
        return Data(bytes)
    }

    /// Turns every mask under `data/mask/all` into a 16-bit PNG with the same labels; with
    /// `extraLabel`, train/case00.png gets that label in its first pixel.
    static func sixteenBitMasks(in data: URL, extraLabel: Int?) throws {
        for split in ["train", "val", "test"] {
            let folder = data.appendingPathComponent("mask/all/\(split)")
            for name in try FileManager.default.contentsOfDirectory(atPath: folder.path) {
                let path = folder.appendingPathComponent(name).path
                let samples = try ImageFile.read(path).samples
                var labels = samples.to(.int64).scalars(as: Int64.self)
                if let extraLabel, split == "train", name == "case00.png" { labels[0] = Int64(extraLabel) }
                try ImageFile.writePNG(Tensor(labels, shape: samples.shape).to(.uint16), to: path)
            }
        }
    }

    // MARK: arrays and checkpoints

    /// An NPY file whose header claims `shape`, with 64 bytes of data.
    static func npy(descr: String, shape: String) -> Data {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var data = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        data.append(contentsOf: [UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)])
        data.append(Data(header.utf8))
        data.append(Data(count: 64))
        return data
    }

    /// A safetensors file with the given header text and `payload` zero bytes of data.
    static func safetensors(header: String, payload: Int) -> Data {
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        data.append(Data(count: payload))
        return data
    }

    static func weights(_ scratch: URL) -> URL {
        scratch.appendingPathComponent("run/unet/diffusion_pytorch_model.safetensors")
    }

    /// Rewrites a JSON object file with `edit` applied.
    static func editJSON(_ url: URL, _ edit: (inout [String: Any]) -> Void) throws {
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    // MARK: NIfTI

    /// image.nii (float32) and labels.nii (int32, a block labelled `largestLabel`) of 8x8x4 voxels
    /// in `folder`, with `edit` applied to the image file's bytes.
    static func niftiPair(in folder: URL, largestLabel: Int = 1, edit: (inout [UInt8]) -> Void = { _ in }) throws {
        let image = Tensor.rand([4, 8, 8], generator: Generator(seed: 1)) * 100
        var labels = [Int32](repeating: 0, count: 4 * 8 * 8)
        for z in 0..<4 { for y in 2..<5 { for x in 2..<5 { labels[z * 64 + y * 8 + x] = Int32(largestLabel) } } }
        let imagePath = folder.appendingPathComponent("image.nii").path
        try NiftiWriter.write(image, to: imagePath)
        try NiftiWriter.write(Tensor(labels.map(Int64.init), shape: [4, 8, 8]).to(.int32), to: folder.appendingPathComponent("labels.nii").path)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: imagePath)))
        edit(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: imagePath))
    }

    static func put<T: FixedWidthInteger>(_ value: T, at offset: Int, in bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.replaceSubrange(offset..<(offset + $0.count), with: $0) }
    }

    static func put(_ value: Float, at offset: Int, in bytes: inout [UInt8]) { put(value.bitPattern, at: offset, in: &bytes) }

    /// `file` followed by `trailingZeros` zero bytes, gzip-compressed into `output` (by the system's gzip).
    static func gzip(_ file: URL, trailingZeros: Int, to output: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "(cat \"$1\"; head -c \(trailingZeros) /dev/zero) | gzip -1 > \"$2\"", "bash", file.path, output.path]
        try process.run()
        process.waitUntilExit()
    }

    // MARK: bytes

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    /// CRC-32 (PNG's, zlib's).
    static func crc32<S: Sequence<UInt8>>(_ bytes: S) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}
