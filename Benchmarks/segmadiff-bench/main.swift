import Foundation
import Torch

// segmadiff-bench WHAT [options]: prints one JSON line per measurement. Timed work lives here, not
// in the tests. bench/run.sh runs these beside the Python reference and prints the ratios.
let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: Int) -> Int {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count, let v = Int(arguments[i + 1]) else { return fallback }
    return v
}

func emit(_ result: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

switch arguments.first ?? "ops" {
case "ops":
    emit(OpOverhead.run(iterations: option("--iterations", 20000)))
default:
    FileHandle.standardError.write(Data("usage: segmadiff-bench ops [--iterations N]\n".utf8))
    exit(2)
}
