import Foundation
import TestSupport
import Training

/// One tiny guided run (TinyRun: 16 px, K = 3, named classes), trained for one epoch on first use
/// and shared by every studio test, with its data set beside it.
final class TinyStudioRun: @unchecked Sendable {
    static let shared = try! TinyStudioRun()

    let scratch = TemporaryFolder()
    var data: URL { scratch.url.appendingPathComponent("data") }
    var runs: URL { scratch.url.appendingPathComponent("runs") }
    var run: URL { runs.appendingPathComponent("tiny") }
    static let classNames = ["background", "disc", "core"]

    private init() throws {
        try TinyRun.writeDataset(in: data)
        var options = TinyRun.options(data: data, output: run, epochs: 1)
        options.spec.card.classNames = Self.classNames
        _ = try Trainer(options).run()
    }
}

/// `segmadiff studio` started on a free port; stopped when released.
final class StudioProcess {
    let process: Process
    let address: URL
    let client: RawHTTP
    /// What the studio printed before its address.
    let banner: String

    init(runs: [URL], data: URL?, host: String = "127.0.0.1", extra: [String] = []) throws {
        process = Process()
        process.executableURL = SegMaDiffBinary.url
        process.arguments = ["studio", "--port", "0", "--host", host] + runs.flatMap { ["--runs", $0.path] }
            + (data.map { ["--data", $0.path] } ?? []) + extra
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.standardError
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        while !text.contains("http://"), Date() < deadline, process.isRunning {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        guard let line = text.split(separator: "\n").first(where: { $0.contains("http://") }),
              let url = URL(string: line.trimmingCharacters(in: .whitespaces)), let port = url.port else {
            process.terminate()
            throw RawHTTP.Failure(description: "the studio printed no address: \(text)")
        }
        address = url
        banner = text
        client = RawHTTP(host: url.host ?? host, port: port)
    }

    deinit {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// The token of the printed address (nil on loopback).
    var token: String? { URLComponents(url: address, resolvingAgainstBaseURL: false)?.queryItems?.first { $0.name == "token" }?.value }

    /// Resident memory of the studio process, from /proc.
    var residentBytes: Int {
        let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
    }
}

extension RawHTTP {
    /// A mask of the data set as the editor gets it: {"width", "height", "labels"}.
    func mask(run: String, file: String) throws -> [String: Any] {
        try get("/api/mask?run=\(run.queryEscaped)&file=\(file.queryEscaped)").json
    }

    /// Posts a job and waits (reading its events) until it ends; returns the events seen.
    func runJob(_ body: [String: Any]) throws -> (id: String, events: [(name: String, data: [String: Any])]) {
        let posted = try post("/api/jobs", json: body)
        guard posted.status == 202, let id = posted.json["id"] as? String else {
            throw Failure(description: "job refused: \(posted.status) \(posted.text)")
        }
        let reader = try EventReader(self, path: "/api/jobs/\(id)/events")
        var events: [(name: String, data: [String: Any])] = []
        while let event = try reader.next() {
            events.append(event)
            if ["done", "failed", "cancelled"].contains(event.name) { break }
        }
        return (id, events)
    }
}

extension String {
    var queryEscaped: String {
        addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? self
    }
}
