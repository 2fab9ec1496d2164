import Foundation

/// Which samples of one split lie next to each other in their volume, from the `slices.csv` an
/// import wrote (each slice's volume and index along the slicing axis).
///
/// The neighbour `offset` slices away from a sample is that slice of the same volume when it is a
/// sample of the same split. Where it is not — outside the volume, a slice without labels that the
/// import left out, a gap slice, or a slice of another split — the nearest slice between it and
/// the sample that is one takes its place (edge replication: the first labelled slice of a volume,
/// or the edge of a slab, sees itself beyond its edge). So a split never reads another split's
/// masks, and context slices always exist.
///
/// The previous slice (index - 1) is taken only as it is: where it is not a sample of the split
/// there is none, since replication would hand the slice its own image.
public struct SliceNeighbours: Sendable {
    private struct Position: Hashable {
        var volume: String
        var index: Int
    }

    /// Each sample's place in its volume.
    private let positions: [Position]
    /// The sample at each place.
    private let samples: [Position: Int]

    /// `names`: the split's sample file names, in sample order. Throws, naming the file, when a
    /// sample is not listed.
    public init(rows: [SliceProvenance], names: [String], file: String) throws {
        var byName: [String: Position] = [:]
        for row in rows { byName[row.name] = Position(volume: row.volume, index: row.sliceIndex) }
        positions = try names.map { name in
            guard let position = byName[name] else {
                throw DataError("\(file) does not list \(name); context slices need every slice's volume and index (import the volumes again with import-nifti or import-dicom, or train without --context_slices and --condition_on_previous_slice)")
            }
            return position
        }
        var samples: [Position: Int] = [:]
        for (sample, position) in positions.enumerated() { samples[position] = sample }
        self.samples = samples
    }

    /// The sample that stands `offset` slices from sample `index` (see the type's rule).
    public func neighbour(of index: Int, offset: Int) -> Int {
        let own = positions[index]
        let step = offset > 0 ? -1 : 1
        var distance = offset
        while distance != 0 {
            if let found = samples[Position(volume: own.volume, index: own.index + distance)] { return found }
            distance += step
        }
        return index
    }

    /// The sample one slice before sample `index` in its volume, nil when that slice is not one.
    public func previous(of index: Int) -> Int? {
        let own = positions[index]
        return samples[Position(volume: own.volume, index: own.index - 1)]
    }

    /// The `slices.csv` of a data set in the import's layout (OUTPUT/images, OUTPUT/masks and
    /// OUTPUT/slices.csv): beside or in the mask or image folder.
    public static func locate(imageDirectory: String?, maskDirectory: String?) -> String? {
        for folder in [maskDirectory, imageDirectory].compactMap({ $0 }) {
            let url = URL(fileURLWithPath: folder).standardizedFileURL
            for candidate in [url.deletingLastPathComponent(), url] {
                let path = candidate.appendingPathComponent(SliceProvenance.fileName).path
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        return nil
    }
}
