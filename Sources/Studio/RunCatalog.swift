import Foundation

/// The runs under the `--runs` folders: every folder with `unet/config.json`, as segmadiff writes
/// them. A run is named to the page by `<folder index>:<path inside that folder>`, so an id is
/// checked by the same rules as any other path a client sends.
struct RunCatalog: Sendable {
    let folders: [ServedFolder]

    /// How deep below a `--runs` folder runs are looked for, and how many folders are looked at in
    /// all: a studio pointed at a home folder must still answer at once.
    static let searchDepth = 4
    static let folderBudget = 5000

    struct Run: Sendable {
        let id: String
        /// The run folder with every symlink resolved.
        let path: String
        let folder: ServedFolder
        /// Its path inside `folder` ("" for the folder itself).
        let relative: String
    }

    /// Every run, in folder order then path order.
    func runs() -> [Run] {
        var found: [Run] = []
        var budget = Self.folderBudget
        for (index, folder) in folders.enumerated() {
            walk(folder.root, depth: 0, budget: &budget) { path in
                guard let relative = folder.relative(path) else { return }
                found.append(Run(id: "\(index):\(relative)", path: path, folder: folder, relative: relative))
            }
        }
        return found
    }

    /// The run an id names; 404 when there is none, 403 when the id leads outside the folders.
    func run(_ id: String) throws -> Run {
        let parts = id.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), folders.indices.contains(index) else {
            throw StudioError.badRequest("run id \"\(id.prefix(80))\" is not of the form <folder>:<path>; take ids from /api/runs")
        }
        let folder = folders[index]
        let path = try folder.resolve(String(parts[1]))
        guard Self.isRun(path) else { throw StudioError.notFound("\(parts[1]): not a run (no unet/config.json)") }
        return Run(id: "\(index):\(folder.relative(path) ?? "")", path: path, folder: folder, relative: folder.relative(path) ?? "")
    }

    static func isRun(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path + "/unet/config.json")
    }

    /// Depth-first over real folders (a symlinked folder is not entered: runs link into themselves),
    /// stopping at runs.
    private func walk(_ path: String, depth: Int, budget: inout Int, found: (String) -> Void) {
        guard budget > 0 else { return }
        budget -= 1
        if Self.isRun(path) {
            found(path)
            return
        }
        guard depth < Self.searchDepth,
              let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names.sorted() where !name.hasPrefix(".") {
            let child = path + "/" + name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: child),
                  attributes[.type] as? FileAttributeType == .typeDirectory else { continue }
            walk(child, depth: depth + 1, budget: &budget, found: found)
        }
    }

    /// The folders under the `--runs` folders that hold a manifest.json (eval_many, translate and
    /// synthesize outputs), for the galleries of the runs they name.
    func manifestFolders() -> [(folder: ServedFolder, path: String)] {
        var found: [(ServedFolder, String)] = []
        var budget = Self.folderBudget
        for folder in folders {
            collectManifests(folder.root, depth: 0, budget: &budget) { found.append((folder, $0)) }
        }
        return found
    }

    private func collectManifests(_ path: String, depth: Int, budget: inout Int, found: (String) -> Void) {
        guard budget > 0 else { return }
        budget -= 1
        if FileManager.default.fileExists(atPath: path + "/manifest.json") { found(path) }
        guard depth < Self.searchDepth + 1,
              let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return }
        for name in names.sorted() where !name.hasPrefix(".") && !["checkpoints", "unet", "scheduler", "training_state", "logs", "masks", "images"].contains(name) {
            let child = path + "/" + name
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: child),
                  attributes[.type] as? FileAttributeType == .typeDirectory else { continue }
            collectManifests(child, depth: depth + 1, budget: &budget, found: found)
        }
    }
}
