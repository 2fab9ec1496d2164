import ArgumentParser
import Foundation
import Studio
import Torch
import Training

/// `segmadiff studio`: a local web app over trained runs: browse their samples, paint a mask and
/// watch the generated image follow.
struct StudioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "studio",
        abstract: "Serve a web app to browse runs and generate images from masks painted in the browser.",
        discussion: """
            Finds every run (a folder with unet/config.json) under the --runs folders and serves only \
            those folders and --data. Bound to 127.0.0.1 by default; with another --host, every request \
            must carry the token printed at start (the printed address includes it). Stop with Ctrl-C.
            Example: segmadiff studio --runs segmadiff-demo --data segmadiff-demo/data
            """)

    @Option(name: .customLong("runs"), help: "A folder with runs (searched 4 levels deep); repeat for more. Default: the current folder.")
    var runs: [String] = []

    @Option(name: .customLong("data"), help: "A data set folder (images/<split>/, masks/<seg type>/<split>/) whose masks and images the editor starts from.")
    var data: String?

    @Option(name: .customLong("port"), help: "The port (0: any free one).")
    var port: Int = 7860

    @Option(name: .customLong("host"), help: "The address to bind; anything but 127.0.0.1, localhost or ::1 requires the printed token.")
    var host = "127.0.0.1"

    @Option(name: .customLong("threads"), help: "CPU threads for sampling (default: all cores).")
    var threads: Int?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port \(port) must be from 0 to 65535") }
        if let threads, threads < 1 { throw ValidationError("--threads \(threads) must be at least 1") }
    }

    func run() throws {
        // A page that closes mid-stream must not end the server.
        signal(SIGPIPE, SIG_IGN)
        // Ctrl-C and SIGTERM end the studio, even when its parent started it with them blocked.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGINT)
        sigaddset(&stopSignals, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        if let threads { Engine.threads = threads }
        let settings = StudioSettings(runs: runs.isEmpty ? ["."] : runs, data: data, host: host, port: UInt16(port))
        let server: StudioServer
        do {
            server = try StudioServer(settings)
        } catch let error as StudioSetupError {
            throw UsageError(error.description)
        }
        let stopped = DispatchSemaphore(value: 0)
        let failure = FailureBox()
        Task {
            do {
                try await server.run { address in
                    // Written unbuffered: scripts and tests wait for the address.
                    var text = "segmadiff studio: serving \(settings.runs.joined(separator: ", "))\(settings.data.map { " and \($0)" } ?? "") at\n  \(address)\n"
                    if server.token != nil { text += "  (every request needs the token in this address; keep it private)\n" }
                    FileHandle.standardOutput.write(Data(text.utf8))
                }
            } catch {
                failure.error = error
            }
            stopped.signal()
        }
        stopped.wait()
        if let error = failure.error {
            throw UsageError("--host \(host) --port \(port): cannot serve (\(error.localizedDescription)); choose another port with --port")
        }
    }
}

private final class FailureBox: @unchecked Sendable {
    var error: Error?
}
