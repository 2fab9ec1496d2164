import Foundation
import Torch

/// What `DicomImporter` imports: series with their label volumes, cut as `slicing` says (the same
/// options import-nifti takes; their `volumes` are not used).
public struct DicomImportOptions: Sendable {
    public struct Source: Sendable {
        /// A folder searched recursively for the series.
        public var folder: String
        /// The SeriesInstanceUID to take; nil for the folder's largest series.
        public var seriesUID: String?
        /// A NIfTI label volume on the series' grid.
        public var labels: String

        public init(folder: String, seriesUID: String? = nil, labels: String) {
            self.folder = folder
            self.seriesUID = seriesUID
            self.labels = labels
        }
    }

    public var sources: [Source]
    public var slicing: NiftiImportOptions

    public init(sources: [Source], output: String) {
        self.sources = sources
        slicing = NiftiImportOptions(volumes: [], output: output)
    }
}

/// Cuts DICOM series with NIfTI labels into segmadiff's 2-D layout, exactly as import-nifti cuts
/// NIfTI pairs (OUTPUT/slices.csv names each slice's series), and records the DICOM source of every
/// slice (file, SOPInstanceUID, position) in `OUTPUT/dicom_slices.csv`.
public enum DicomImporter {
    /// Where the import records each slice's source: `OUTPUT/dicom_slices.csv`.
    public static func recordPath(output: String) -> String { FolderListing.join(output, "dicom_slices.csv") }

    public static func run(_ options: DicomImportOptions) throws -> NiftiImporter.Summary {
        guard !options.sources.isEmpty else { throw DataError("no series given; pass --series and --labels") }
        // Every series is found and arranged (headers only) before any pixels are decoded.
        let volumes = try options.sources.map { source in
            DicomLabelledVolume(layout: try DicomSeriesLayout(DicomFolderScan.choose(in: source.folder, uid: source.seriesUID)),
                                labels: source.labels)
        }
        let summary = try NiftiImporter.run(volumes, options.slicing)
        try writeRecord(summary, volumes, options.slicing)
        return summary
    }

    /// One row per slice of OUTPUT/slices.csv (gap slices too, split `unused`): its name and split,
    /// the series and folder it came from, its index along the cut axis, and for axial cuts
    /// (--axis z) the file, SOPInstanceUID and position.
    private static func writeRecord(_ summary: NiftiImporter.Summary, _ volumes: [DicomLabelledVolume], _ options: NiftiImportOptions) throws {
        let layouts = Dictionary(volumes.map { ($0.source, $0.layout) }, uniquingKeysWith: { first, _ in first })
        var lines = ["name,split,series_uid,series_folder,axis,index,sop_instance_uid,file,position_mm"]
        for slice in try SliceProvenance.read(summary.provenanceFile) {
            guard let layout = layouts[slice.volume] else { continue }
            var fields = [slice.name, slice.role.rawValue, layout.series.uid, layout.series.folder,
                          ["x", "y", "z"][options.axis.rawValue], String(slice.sliceIndex)]
            if options.axis == .z {
                let header = layout.slices[slice.sliceIndex]
                fields += [header.sopUID, header.path, (header.position ?? []).map { String($0) }.joined(separator: " ")]
            } else {
                fields += ["", "", ""]
            }
            lines.append(fields.map(csvField).joined(separator: ","))
        }
        let path = recordPath(output: options.output)
        do { try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: path) } catch {
            throw DataError("\(path): cannot be written (\(error)); check the --output folder")
        }
    }

    private static func csvField(_ text: String) -> String {
        text.contains(where: { ",\"\n".contains($0) }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
