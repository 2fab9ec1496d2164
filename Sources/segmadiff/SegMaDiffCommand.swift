import ArgumentParser
import Torch

@main
struct SegMaDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "segmadiff",
        abstract: "Segmentation-guided diffusion for medical images (SegMaDiff).",
        version: "segmadiff 0.1.0",
        subcommands: [Version.self])
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the versions of segmadiff and its engine.")

    func run() {
        print("segmadiff 0.1.0")
        print("libtorch \(Engine.libtorchVersion), \(Engine.threads) threads, CUDA \(Engine.cudaAvailable ? "available (\(Engine.cudaDeviceCount) devices)" : "not available")")
    }
}
