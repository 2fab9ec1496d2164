import ArgumentParser
import Foundation
import Torch

/// `segmadiff --mode train|eval|eval_many ...` as the Python seed's main.py, or the same work as
/// subcommands (`segmadiff train ...`), plus segmadiff's own tools.
@main
struct SegMaDiffCommand: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "segmadiff",
        abstract: "Segmentation-guided diffusion for medical images (SegMaDiff).",
        discussion: "Run with the Python seed's flags (segmadiff --mode train --img_dir ... --seg_dir ...) or a subcommand.",
        version: "segmadiff \(version)",
        subcommands: [Train.self, Eval.self, EvalMany.self, Sample.self, ImportNifti.self, Version.self])

    @OptionGroup var options: RunOptions

    func run() throws {
        try ModeRunner(options: options).run()
    }

    /// Every error a user can cause ends with one line on stderr and exit status 2 (argument errors
    /// included); help and --version exit 0.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let message = fullMessage(for: error)
            let lines = message.split(separator: "\n", omittingEmptySubsequences: true)
            let first = lines.first.map(String.init) ?? "\(error)"
            let text = first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first
            FileHandle.standardError.write(Data("segmadiff: error: \(text)\n".utf8))
            if let hint = lines.dropFirst().first(where: { $0.contains("Usage") || $0.contains("Help") }) {
                FileHandle.standardError.write(Data("\(hint)\n".utf8))
            }
            Foundation.exit(2)
        }
    }
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the versions of segmadiff and its engine.")

    func run() {
        print("segmadiff \(SegMaDiffCommand.version)")
        let cuda = Engine.cudaAvailable ? "available (\(Engine.cudaDeviceCount) devices)" : "not available"
        print("libtorch \(Engine.libtorchVersion), \(Engine.threads) threads, CUDA \(cuda)")
    }
}
