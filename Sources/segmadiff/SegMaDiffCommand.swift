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
        discussion: "Run with the Python seed's flags (segmadiff --mode train --img_dir ... --seg_dir ...; `segmadiff main --help` lists them) or a subcommand.",
        version: "segmadiff \(version)",
        subcommands: [
            SeedMain.self, Train.self, Eval.self, EvalMany.self, Sample.self, Translate.self, Synthesize.self,
            BenchmarkSyntheticCommand.self, SampleVolume.self, Launch.self, ImportNifti.self, ImportDicom.self,
            TrainSegmenterCommand.self, MetricsCommand.self, Demo.self, StudioCommand.self, Version.self,
        ],
        defaultSubcommand: SeedMain.self)

    /// Every error a user can cause ends with one line on stderr and exit status 2 (argument errors
    /// included); help and --version exit 0.
    static func main() {
        // Past a file-size limit (ulimit -f) the kernel sends SIGXFSZ, whose default action kills
        // the process mid-write; ignored, the write fails with EFBIG and is reported as an error.
        signal(SIGXFSZ, SIG_IGN)
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
            let text = ErrorLine.text(for: error, message: first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first)
            FileHandle.standardError.write(Data("segmadiff: error: \(text)\n".utf8))
            if let hint = lines.dropFirst().first(where: { $0.contains("Usage") || $0.contains("Help") }) {
                FileHandle.standardError.write(Data("\(hint)\n".utf8))
            }
            Foundation.exit(2)
        }
    }
}

/// The seed's main.py (`segmadiff --mode train ...`): the default when no subcommand is named.
/// The seed's flags live here, not on the root command, because ArgumentParser lets a parent's
/// options consume matching flags anywhere on the line: on the root they would take `--img_size`,
/// `--seed` or `--output_dir` away from the subcommands that declare their own.
struct SeedMain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "main",
        abstract: "Run with the Python seed's flags: --mode train|eval|eval_many (the default subcommand).")

    @OptionGroup var options: RunOptions

    func run() throws {
        try ModeRunner(options: options).run()
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
