import Foundation

/// A file holding the fuzzer's bytes, for readers that take a path: the harnesses call the
/// program's own entry points, not a private decoder. scripts/fuzz.sh points TMPDIR at a folder in
/// memory that it removes afterwards; a file is rewritten on every run.
public enum FuzzInput {
    static let folder: URL = {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("segmadiff-fuzz-\(getpid())")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// Writes the input to `folder/name` and returns its path.
    public static func file(_ data: UnsafePointer<UInt8>, _ size: Int, named name: String) -> String {
        let url = folder.appendingPathComponent(name)
        try! Data(bytes: data, count: size).write(to: url)
        return url.path
    }

    /// The folder the file of `file(_:_:named:)` lives in, for readers that take a folder.
    public static var folderPath: String { folder.path }
}
