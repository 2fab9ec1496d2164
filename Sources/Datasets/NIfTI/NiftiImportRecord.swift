import Foundation
import ModelCard
import Torch

/// What `import-nifti` did, written beside the data set it made (`DATA/nifti_import.json`), so that
/// a model trained on those slices can be given whole label volumes later (`sample-volume`): the
/// same label grouping, the same slicing axis and orientation, and the way back from the images'
/// [0, 1] to the volumes' own units (HU for CT cut with a window).
public struct NiftiImportRecord: Codable, Equatable, Sendable {
    public static let fileName = "nifti_import.json"

    /// How the image intensities became [0, 1] before quantising.
    public enum Intensity: Codable, Equatable, Sendable {
        /// Integer volumes over their type's maximum, float volumes as given (clamped to [0, 1]).
        case none
        /// Each volume over its own [min, max] (listed per volume in `volumes`).
        case minMax
        /// [low, high] in the volume's units, clamped: e.g. -1000, 1000 HU.
        case window(low: Double, high: Double)
    }

    public struct Volume: Codable, Equatable, Sendable {
        public var image: String
        public var labels: String
        /// Voxel-axis directions of the image, e.g. "RAS" (see `VoxelOrientation`).
        public var orientation: String
        public var dims: [Int]
        public var spacing: [Double]
        /// The image's smallest and largest value, in its units.
        public var intensityRange: [Double]

        enum CodingKeys: String, CodingKey {
            case image, labels, orientation, dims, spacing
            case intensityRange = "intensity_range"
        }
    }

    /// "x", "y" or "z": the voxel axis the slices were cut along.
    public var axis: String
    public var intensity: Intensity
    public var bitDepth: Int
    /// `--label_map` as ranges [low, high, class]; nil when the labels were kept as they were.
    public var labelMap: [[Int]]?
    /// Classes in the masks, background included.
    public var classes: Int
    public var segType: String
    public var volumes: [Volume]

    enum CodingKeys: String, CodingKey {
        case axis, intensity, classes, volumes
        case bitDepth = "bit_depth"
        case labelMap = "label_map"
        case segType = "seg_type"
    }

    public var labelGrouping: LabelGrouping? {
        labelMap.map { LabelGrouping($0.map { ($0[0]...$0[1], $0[2]) }) }
    }

    /// The voxel orientation the slices were cut in (the first volume's), if it is a valid one.
    public var orientation: VoxelOrientation? { volumes.first.flatMap { VoxelOrientation(codes: $0.orientation) } }

    /// [0, 1] (the image's scale before quantising) back to the volumes' units, as (scale, offset):
    /// the window, or the min-max range when every volume had the same one; nil when no single map
    /// exists (min-max over volumes of different ranges, or float volumes kept as they were).
    public var unitsMap: (scale: Double, offset: Double)? {
        switch intensity {
        case .window(let low, let high): return (high - low, low)
        case .minMax:
            let ranges = Set(volumes.map(\.intensityRange))
            guard ranges.count == 1, let range = ranges.first, range.count == 2 else { return nil }
            return (range[1] - range[0], range[0])
        case .none:
            return nil
        }
    }

    public static func read(_ path: String) throws -> NiftiImportRecord {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw DataError("\(path): cannot be read; pass the \(fileName) that import-nifti wrote into the data folder")
        }
        do {
            let record = try JSONDecoder().decode(NiftiImportRecord.self, from: data)
            guard ["x", "y", "z"].contains(record.axis), record.labelMap?.allSatisfy({ $0.count == 3 && $0[0] >= 0 && $0[0] <= $0[1] && $0[1] <= LabelGrouping.maximumLabel && $0[2] >= 0 }) ?? true else {
                throw DataError("bad axis or label_map")
            }
            return record
        } catch {
            throw DataError("\(path): not an import record of import-nifti (\(error)); run import-nifti again or pass --label_map and --window yourself")
        }
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(self)
        data.append(0x0A)
        do { try AtomicFile.write(data, to: path) } catch { throw DataError("\(error)") }
    }
}
