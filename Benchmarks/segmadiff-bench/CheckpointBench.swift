import Foundation
import ModelCard
import Models
import Torch

/// Saving the full model's training state (weights, EMA, AdamW's two moments: 4 tensors per
/// weight) as one safetensors file, fsynced: the former way (the whole file built in memory, then
/// written) or streamed (header, then each tensor through one reused buffer); against a raw write
/// of the same bytes (8 MiB blocks, then fsync, as `dd conv=fsync`). One way per process, so that
/// the peak resident memory (ru_maxrss) is that way's.
enum CheckpointBench {
    static func run(way: String, folder: String, repeats: Int) -> [String: Any] {
        let config = UNetConfig.segmadiff(sampleSize: 64, inChannels: 2, outChannels: 1)
        let model = UNet2DModel(config: config, mdformer: MDFormerConfig(variant: .reference))
        var tensors: [String: Tensor] = [:]
        for (key, weight) in model.stateDict() {
            let w = weight.detached()
            tensors["weights." + key] = w
            tensors["ema." + key] = w.clone()
            tensors["optimizer.exp_avg." + key] = w.clone()
            tensors["optimizer.exp_avg_sq." + key] = w.clone()
        }
        let bytes = tensors.values.reduce(0) { $0 + $1.byteCount }
        let baseline = peakResidentBytes()
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/tensors.safetensors"
        var seconds: [Double] = []
        for _ in 0..<repeats {
            unlink(path)
            sync()
            let start = DispatchTime.now().uptimeNanoseconds
            switch way {
            case "former": try! AtomicFile.write(formerEncode(tensors, metadata: ["global_step": "1"]), to: path)
            case "streamed": try! Safetensors.save(tensors, to: path, metadata: ["global_step": "1"])
            default: rawWrite(bytes: bytes, to: path)
            }
            seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        unlink(path)
        return ["bench": "checkpoint", "way": way, "bytes": bytes, "seconds": seconds,
                "median_s": median(seconds), "gb_per_s": Double(bytes) / median(seconds) / 1e9,
                "peak_rss_over_tensors_mb": Double(peakResidentBytes() - baseline) / 1_048_576]
    }

    /// Safetensors.encode as it was before streaming: each tensor's bytes as an array, then one Data.
    static func formerEncode(_ tensors: [String: Tensor], metadata: [String: String]) throws -> Data {
        let keys = tensors.keys.sorted()
        var header: [String: Any] = ["__metadata__": metadata]
        var blobs: [[UInt8]] = []
        var offset = 0
        for key in keys {
            let tensor = tensors[key]!
            let bytes = tensor.bytes()
            header[key] = ["dtype": "F32", "shape": tensor.shape, "data_offsets": [offset, offset + bytes.count]] as [String: Any]
            offset += bytes.count
            blobs.append(bytes)
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        while json.count % 8 != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(json)
        for blob in blobs { out.append(contentsOf: blob) }
        return out
    }

    static func rawWrite(bytes: Int, to path: String) {
        let block = 8 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: block, alignment: 64)
        defer { buffer.deallocate() }
        memset(buffer.baseAddress!, 1, block)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        var left = bytes
        while left > 0 {
            let n = write(fd, buffer.baseAddress!, min(block, left))
            precondition(n > 0)
            left -= n
        }
        fsync(fd)
        close(fd)
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }
}
