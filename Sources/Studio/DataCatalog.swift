import Datasets
import Foundation

/// The `--data` folder, a segmadiff data set (`images/<split>/NAME` with `masks/<seg type>/<split>/NAME`,
/// or `img/` and `mask/` as the tests write it): the masks the editor can start from, each with its
/// real image for translation. Files are named to the page by paths inside the folder.
struct DataCatalog: Sendable {
    let folder: ServedFolder
    let imageFolder: String?
    let maskFolder: String

    /// The most samples listed: the page offers a list to pick from, not the whole archive.
    static let sampleLimit = 500

    init(_ path: String) throws {
        folder = try ServedFolder(path)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.root)) ?? []
        imageFolder = ["images", "img"].first { names.contains($0) }
        guard let masks = ["masks", "mask", "seg"].first(where: { names.contains($0) }) else {
            throw StudioError.notFound("\(path): no masks/ folder; --data takes a data set folder with images/<split>/ and masks/<seg type>/<split>/")
        }
        maskFolder = masks
    }

    struct Sample {
        let name: String
        let split: String
        let mask: String
        let image: String?
    }

    /// The samples of the first seg type, test split first (the held-out masks), then val and train.
    func samples() -> [Sample] {
        let maskRoot = folder.root + "/" + maskFolder
        guard let segType = Self.entries(in: maskRoot, folders: true).first else { return [] }
        var found: [Sample] = []
        for split in ["test", "val", "train"] {
            let masks = "\(maskFolder)/\(segType)/\(split)"
            for name in Self.entries(in: folder.root + "/" + masks, folders: false) where found.count < Self.sampleLimit {
                guard ImageFile.extensions.contains((name as NSString).pathExtension.lowercased()) else { continue }
                let image = imageFolder.map { "\($0)/\(split)/\(name)" }
                let hasImage = image.map { FileManager.default.fileExists(atPath: folder.root + "/" + $0) } ?? false
                found.append(Sample(name: name, split: split, mask: "\(masks)/\(name)", image: hasImage ? image : nil))
            }
        }
        return found
    }

    /// The visible folders or files of a folder, sorted.
    private static func entries(in path: String, folders: Bool) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        return names.filter { name in
            var directory: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &directory)
                && directory.boolValue == folders
        }.sorted()
    }

    func json() -> [[String: Any]] {
        samples().map { sample in
            var object: [String: Any] = ["name": sample.name, "split": sample.split, "mask": "data:" + sample.mask]
            if let image = sample.image { object["image"] = "data:" + image }
            return object
        }
    }
}
