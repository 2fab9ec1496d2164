import Foundation

/// A run's pictures for the page: the grids training and eval wrote to `samples/` (masks as grey
/// grids scaled to the class range), and every eval_many, translate or synthesize output under the
/// `--runs` folders whose manifest.json names the run (masks as integer labels). Files are named by
/// `<folder>:<path>` ids that /api/file and /api/overlay resolve.
enum RunGallery {
    /// The most pictures sent per gallery: the page shows a strip, not an archive.
    static let itemLimit = 64

    static func json(_ run: RunCatalog.Run, catalog: RunCatalog, folderIndex: (ServedFolder) -> Int?) -> [[String: Any]] {
        var galleries: [[String: Any]] = []
        func id(_ path: String, in folder: ServedFolder) -> String? {
            guard let index = folderIndex(folder), let relative = folder.relative(path) else { return nil }
            return "\(index):\(relative)"
        }
        let samples = run.path + "/samples"
        if let names = try? FileManager.default.contentsOfDirectory(atPath: samples) {
            let pngs = Set(names.filter { $0.hasSuffix(".png") })
            let grids = pngs.filter { !$0.contains("_cond_seg_") && !$0.hasSuffix("_orig.png") }.sorted()
            let items: [[String: Any]] = grids.suffix(itemLimit).compactMap { name in
                let stem = String(name.dropLast(4))
                guard let image = id(samples + "/" + name, in: run.folder) else { return nil }
                var item: [String: Any] = ["title": stem == "-001" ? "eval" : "epoch \(stem)", "image": image]
                if let mask = pngs.filter({ $0.hasPrefix(stem + "_cond_seg_") }).sorted().first {
                    item["mask"] = id(samples + "/" + mask, in: run.folder)
                }
                if pngs.contains(stem + "_orig.png") { item["real"] = id(samples + "/\(stem)_orig.png", in: run.folder) }
                return item
            }
            if !items.isEmpty {
                galleries.append(["title": "samples/ (training and eval grids)", "mask_kind": "grid", "items": items])
            }
        }
        for (folder, path) in catalog.manifestFolders() {
            guard let manifest = manifest(path), let checkpoint = manifest["checkpoint"] as? String,
                  ServedFolder.realPath(checkpoint) == run.path,
                  let images = manifest["images"] as? [[String: Any]] else { continue }
            let items: [[String: Any]] = images.prefix(itemLimit).compactMap { entry in
                guard let file = entry["file"] as? String, let image = safeID(file, under: path, folder: folder, id: id) else { return nil }
                var item: [String: Any] = ["title": (file as NSString).lastPathComponent, "image": image]
                let mask = entry["mask_file"] as? String ?? (entry["mask_files"] as? [String])?.first
                if let mask, let maskID = safeID(mask, under: path, folder: folder, id: id) { item["mask"] = maskID }
                return item
            }
            if !items.isEmpty {
                let title = folder.relative(path).map { $0.isEmpty ? "." : $0 } ?? (path as NSString).lastPathComponent
                galleries.append(["title": title + " (\(images.count) images)", "mask_kind": "labels", "items": items])
            }
        }
        return galleries
    }

    /// A file a manifest names, only when it stays inside its served folder.
    private static func safeID(_ file: String, under path: String, folder: ServedFolder,
                               id: (String, ServedFolder) -> String?) -> String? {
        guard (try? ServedFolder.components(of: file)) != nil,
              let resolved = ServedFolder.realPath(path + "/" + file), folder.contains(resolved) else { return nil }
        return id(resolved, folder)
    }

    private static func manifest(_ folder: String) -> [String: Any]? {
        let path = folder + "/manifest.json"
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size < 64 << 20,
              let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
}
