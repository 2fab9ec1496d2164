import Foundation

/// The image files of one series found in a folder.
public struct DicomSeriesFiles: Sendable {
    public var uid: String
    /// The folder it was found in (for messages).
    public var folder: String
    public var headers: [DicomHeader]

    /// How messages name it: "series 1.2.3 in FOLDER".
    public var label: String { "series \(uid) in \(folder)" }
}

/// Finds the series in a folder, searched recursively, and picks one.
public enum DicomFolderScan {
    /// Every series with image pixels under `folder`, the largest first (ties by UID).
    public static func series(in folder: String) throws -> [DicomSeriesFiles] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw DataError("\(folder): no such folder; --series takes a folder holding the series' DICOM files")
        }
        var bySeries: [String: [DicomHeader]] = [:]
        for path in try files(under: folder) {
            guard let header = try DicomHeader.read(path) else { continue }
            guard header.hasPixelData else {
                // DICOMDIRs, reports and presentation states have no pixels; an image header does.
                if header.rows > 0 && header.columns > 0 {
                    throw DataError("\(path): an image header without its pixel data (the file is truncated); re-export the series or remove the file")
                }
                continue
            }
            bySeries[header.seriesUID, default: []].append(header)
        }
        return bySeries.map { DicomSeriesFiles(uid: $0.key, folder: folder, headers: $0.value) }
            .sorted { ($0.headers.count, $1.uid) > ($1.headers.count, $0.uid) }
    }

    /// The series with `uid`, or the largest when `uid` is nil.
    public static func choose(in folder: String, uid: String?) throws -> DicomSeriesFiles {
        let found = try series(in: folder)
        guard !found.isEmpty else {
            throw DataError("\(folder) holds no DICOM images (searched recursively); check the --series folder")
        }
        guard let uid else { return found[0] }
        if let match = found.first(where: { $0.uid == uid }) { return match }
        let listing = found.prefix(5).map { "\($0.uid) (\($0.headers.count) files\($0.headers[0].seriesDescription.isEmpty ? "" : ", \($0.headers[0].seriesDescription)"))" }
        throw DataError("\(folder) has no series \(uid); it holds \(listing.joined(separator: ", "))\(found.count > 5 ? " and \(found.count - 5) more" : ""); pass one of these to --series_uid")
    }

    /// Regular files under `folder`, recursively, sorted; hidden files and folders are skipped.
    static func files(under folder: String) throws -> [String] {
        let root = URL(fileURLWithPath: folder)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey],
                                                          options: [.skipsHiddenFiles]) else {
            throw DataError("\(folder): cannot be listed; check its permissions")
        }
        var paths: [String] = []
        for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true {
            paths.append(url.path)
        }
        return paths.sorted()
    }
}
