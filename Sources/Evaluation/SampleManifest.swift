import Foundation
import Training

/// `samples_many_<N>/manifest.json`: the run's settings, and for each image written its file, the
/// mask file beside it, the source mask, its noise seed, sampler and steps.
public struct SampleManifest {
    /// Settings that decide the images; a resumed run must have the same ones.
    public var settings: [String: Any]
    /// Further run-level information (command line, version), not compared on resume.
    public var information: [String: Any]
    public var images: [[String: Any]] = []

    public static let fileName = "manifest.json"

    public init(settings: [String: Any], information: [String: Any]) {
        self.settings = settings
        self.information = information
    }

    public var object: [String: Any] {
        var object = information.merging(settings) { _, setting in setting }
        object["images"] = images
        return object
    }

    public func write(to folder: URL) throws {
        try writeJSON(object, to: folder.appendingPathComponent(Self.fileName))
    }

    /// The settings of a manifest already in `folder`, if any.
    public static func savedSettings(in folder: URL, keys: some Sequence<String>) throws -> [String: Any]? {
        let url = folder.appendingPathComponent(fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        guard let object = try? JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] else {
            throw UsageError("\(url.path) cannot be read; remove it (and the images beside it) to start again")
        }
        return object.filter { keys.contains($0.key) }
    }

    /// Throws when `folder` already holds a manifest made with other settings, so a resumed run
    /// never mixes images of two configurations.
    public func checkResumable(in folder: URL) throws {
        guard let saved = try Self.savedSettings(in: folder, keys: settings.keys), let change = difference(from: saved) else { return }
        throw UsageError("\(folder.path) holds images made with other settings (\(change)); use another --output_dir, or remove the folder to start again")
    }

    /// The first setting whose saved value differs from this run's, as "key: saved -> now".
    public func difference(from saved: [String: Any]) -> String? {
        for key in settings.keys.sorted() {
            let now = Self.canonical(settings[key]), before = Self.canonical(saved[key])
            if now != before { return "\(key) \(before) -> \(now)" }
        }
        return nil
    }

    private static func canonical(_ value: Any?) -> String {
        guard let value, !(value is NSNull) else { return "null" }
        if let data = try? JSONSerialization.data(withJSONObject: [value], options: [.sortedKeys]) {
            return String(decoding: data, as: UTF8.self)
        }
        return "\(value)"
    }
}
