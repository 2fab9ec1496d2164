import Foundation

/// Runs the `segmadiff` executable built beside the test bundle.
public struct SegMaDiffBinary {
    public struct Result {
        public let status: Int32
        public let stdout: String
        public let stderr: String

        public init(status: Int32, stdout: String, stderr: String) {
            self.status = status
            self.stdout = stdout
            self.stderr = stderr
        }
    }

    public static var url: URL {
        let candidates = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.bundleURL, Bundle.main.executableURL]
            .compactMap { $0?.deletingLastPathComponent() }
        for directory in candidates {
            for folder in [directory, directory.deletingLastPathComponent()] {
                let binary = folder.appendingPathComponent("segmadiff")
                if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
            }
        }
        fatalError("segmadiff binary not found beside \(candidates)")
    }

    /// Starts segmadiff with `arguments` in `directory` (with `environment` added to this process's);
    /// the caller waits or signals.
    public static func start(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> (Process, Pipe, Pipe) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        return (process, out, err)
    }

    public static func run(_ arguments: [String], in directory: URL, environment: [String: String] = [:]) throws -> Result {
        let (process, out, err) = try start(arguments, in: directory, environment: environment)
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}
