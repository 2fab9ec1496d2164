import Foundation
import Torch

// segmadiff-bench WHAT [options]: prints one JSON line per measurement. Timed work lives here, not
// in the tests. bench/run.py runs these beside the Python reference and prints the ratios.
let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    return v
}

/// A comma-separated list of integers, e.g. `--channels 32,64,64,128`.
func listOption(_ name: String, _ fallback: [Int]) -> [Int] {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    let values = arguments[i + 1].split(separator: ",").compactMap { Int($0) }
    return values.isEmpty ? fallback : values
}

func stringOption(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

/// One JSON line, with what decides the speed of the machine's kernels: libtorch's version and the cores.
func emit(_ result: [String: Any]) {
    var result = result
    result["libtorch"] = Engine.libtorchVersion
    result["cores"] = ProcessInfo.processInfo.activeProcessorCount
    let data = try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

switch arguments.first ?? "ops" {
case "ops":
    emit(OpOverhead.run(iterations: option("--iterations", 20000)))
case "unet":
    emit(UNetBench.run(size: option("--size", 64), batch: option("--batch", 2), steps: option("--steps", 5),
                       threads: option("--threads", 2), bf16: arguments.contains("--bf16"),
                       channels: listOption("--channels", [128, 128, 256, 256, 512, 512]),
                       profile: stringOption("--profile")))
case "scan":
    emit(ScanBench.run(batch: option("--batch", 4), channels: option("--channels", 1024), states: option("--states", 16), size: option("--size", 8), steps: option("--steps", 5), threads: option("--threads", 2)))
case "data":
    let folder = stringOption("--folder") ?? NSTemporaryDirectory() + "segmadiff-data-bench"
    emit(DataBench.run(folder: folder, count: option("--count", 200), source: option("--source", 512), size: option("--size", 256), batch: option("--batch", 16), epochs: option("--epochs", 2), threads: option("--threads", ProcessInfo.processInfo.activeProcessorCount)))
case "checkpoint":
    // --way former|streamed|raw; --folder on the disk to measure.
    let way = stringOption("--way") ?? "streamed"
    let folder = stringOption("--folder") ?? NSTemporaryDirectory() + "segmadiff-checkpoint-bench"
    emit(CheckpointBench.run(way: way, folder: folder, repeats: option("--repeats", 3)))
default:
    FileHandle.standardError.write(Data("usage: segmadiff-bench ops|unet|scan|data|checkpoint [options] (see bench/rows.py)\n".utf8))
    exit(2)
}
