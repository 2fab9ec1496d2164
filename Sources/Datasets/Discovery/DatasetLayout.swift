import Foundation

/// The files of a data set in the seed's layout (docs/python-reference.md §2.1), found and paired by name:
///
///     IMG/{train,val,test}/NAME
///     MASK/<seg type>/{train,val,test}/NAME      (same file name as the image)
///
/// Seg types are the visible sub-folders of MASK, sorted. Structural problems (a missing folder, an
/// image without its mask, an empty split, an unsupported file) are thrown as one-line `DataError`s.
public struct DatasetLayout: Sendable {
    public let segTypes: [String]
    public let samples: [Split: [SampleFiles]]

    /// A layout the caller found itself (for example a flat folder of masks to sample from).
    public init(segTypes: [String], samples: [Split: [SampleFiles]]) {
        self.segTypes = segTypes
        self.samples = samples
    }

    public static func discover(_ options: DatasetOptions) throws -> DatasetLayout {
        guard options.imageDirectory != nil || options.maskDirectory != nil else {
            throw DataError("no data given; pass --img_dir (and --seg_dir for segmentation-guided models)")
        }
        let segTypes = try findSegTypes(options)
        var samples: [Split: [SampleFiles]] = [:]
        for split in options.splits {
            samples[split] = try pair(split, segTypes: segTypes, options)
        }
        return DatasetLayout(segTypes: segTypes, samples: samples)
    }

    private static func findSegTypes(_ options: DatasetOptions) throws -> [String] {
        guard let maskRoot = options.maskDirectory else { return [] }
        guard FolderListing.isDirectory(maskRoot) else {
            throw DataError("\(maskRoot): mask folder not found; check --seg_dir")
        }
        let types = FolderListing.folders(in: maskRoot)
        guard !types.isEmpty else {
            throw DataError("\(maskRoot): no seg type folders; masks go in \(FolderListing.join(maskRoot, "<seg type>/<split>/NAME")), for example \(FolderListing.join(maskRoot, "all/train"))")
        }
        return types
    }

    private static func pair(_ split: Split, segTypes: [String], _ options: DatasetOptions) throws -> [SampleFiles] {
        let needed = options.splits.map(\.rawValue).joined(separator: ", ")
        let maskFolders = try segTypes.map { type -> String in
            let folder = FolderListing.join(FolderListing.join(options.maskDirectory!, type), split.rawValue)
            guard FolderListing.isDirectory(folder) else {
                throw DataError("\(folder): split folder not found; this mode needs the splits \(needed) for every seg type")
            }
            return folder
        }
        var names: [String]
        let imageFolder = options.imageDirectory.map { FolderListing.join($0, split.rawValue) }
        if let imageFolder {
            guard FolderListing.isDirectory(options.imageDirectory!) else {
                throw DataError("\(options.imageDirectory!): image folder not found; check --img_dir")
            }
            guard FolderListing.isDirectory(imageFolder) else {
                throw DataError("\(imageFolder): split folder not found; this mode needs the splits \(needed)")
            }
            names = FolderListing.files(in: imageFolder)
            try checkFormats(names, in: imageFolder)
            guard !names.isEmpty else { throw DataError("\(imageFolder): no images (the \(split.rawValue) split is empty); add images or check --img_dir") }
        } else {
            // Mask-only evaluation: the first seg type names the samples; the others must match it.
            names = FolderListing.files(in: maskFolders[0])
            try checkFormats(names, in: maskFolders[0])
            guard !names.isEmpty else { throw DataError("\(maskFolders[0]): no masks (the \(split.rawValue) split is empty); add masks or check --seg_dir") }
        }
        return try names.map { name in
            let masks = try maskFolders.map { folder -> String in
                let path = FolderListing.join(folder, name)
                guard FileManager.default.fileExists(atPath: path) else {
                    let owner = imageFolder.map { FolderListing.join($0, name) } ?? FolderListing.join(maskFolders[0], name)
                    throw DataError("\(path): missing mask for \(owner); every sample needs a mask with the same file name in each seg type folder")
                }
                return path
            }
            return SampleFiles(name: name, image: imageFolder.map { FolderListing.join($0, name) }, masks: masks)
        }
    }

    private static func checkFormats(_ names: [String], in folder: String) throws {
        for name in names where !ImageFile.extensions.contains((name as NSString).pathExtension.lowercased()) {
            throw DataError("\(FolderListing.join(folder, name)): unsupported file type; use PNG, JPEG or NPY files (or move it out of the data folder)")
        }
    }
}
