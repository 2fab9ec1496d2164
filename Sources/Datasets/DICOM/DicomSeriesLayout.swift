import Foundation

/// A series' files in slice order, checked to form one regular volume: the same size, spacing
/// and orientation in every file, positions along the slice normal (no gantry tilt), evenly
/// spaced with none missing and none doubled.
public struct DicomSeriesLayout: Sendable {
    public var series: DicomSeriesFiles
    /// The files sorted by ImagePositionPatient along the slice normal.
    public var slices: [DicomHeader]
    /// i: columns, j: rows, k: slices.
    public var grid: VoxelGrid

    /// Slice gaps may differ from their mean by this fraction before the spacing counts as uneven.
    static let spacingTolerance = 0.01
    /// Orientation cosines (and spacing, relatively) that differ by less than this are the same.
    static let cosineTolerance = 1e-4

    public init(_ series: DicomSeriesFiles) throws {
        self.series = series
        let headers = series.headers
        let first = headers[0]
        try Self.checkFramesAndSamples(series)
        if let odd = headers.first(where: { ($0.rows, $0.columns) != (first.rows, first.columns) }) {
            throw DataError("\(series.label) mixes image sizes: \(first.path) is \(first.columns)x\(first.rows), \(odd.path) is \(odd.columns)x\(odd.rows); a series must be one stack of equal slices (remove the stray files or pick another --series_uid)")
        }
        let pixelSpacing = first.pixelSpacing ?? [1, 1]
        if let odd = headers.first(where: { !Self.close($0.pixelSpacing ?? [1, 1], pixelSpacing, relative: true) }) {
            throw DataError("\(series.label) mixes pixel spacings: \(first.path) has \(pixelSpacing), \(odd.path) has \(odd.pixelSpacing ?? [1, 1]); remove the stray files or pick another --series_uid")
        }
        guard headers.count > 1 || (first.position != nil && first.orientation != nil) else {
            // A lone image without a place in the patient (a radiograph, a secondary capture):
            // one slice, placed at the origin in the scanner's axes.
            slices = headers
            grid = VoxelGrid(shape: [first.columns, first.rows, 1], spacing: [pixelSpacing[1], pixelSpacing[0], Swift.max(first.sliceThickness, 1)],
                             origin: [0, 0, 0], directions: [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
            return
        }
        if let incomplete = headers.first(where: { $0.position == nil || $0.orientation == nil }) {
            throw DataError("\(incomplete.path) has no ImagePositionPatient or ImageOrientationPatient, so the slices of \(series.label) cannot be put in order; it is not a cross-sectional series (pick another --series_uid)")
        }
        let orientation = first.orientation!
        if let odd = headers.first(where: { !Self.close($0.orientation!, orientation, relative: false) }) {
            throw DataError("\(series.label) mixes slice orientations: \(first.path) has \(Self.format(orientation)), \(odd.path) has \(Self.format(odd.orientation!)) (a localizer or a second stack); remove those files or pick another --series_uid")
        }
        let along = Array(orientation[0..<3]), down = Array(orientation[3..<6])
        let normal = Self.cross(along, down)
        guard abs(Self.dot(normal, normal) - 1) < 0.01 else {
            throw DataError("\(first.path): ImageOrientationPatient \(Self.format(orientation)) is not two perpendicular unit directions; its header is corrupt (re-export the series)")
        }
        let sorted = headers.sorted { Self.dot($0.position!, normal) < Self.dot($1.position!, normal) }
        let spacing = try Self.sliceSpacing(sorted, normal: normal, series: series)
        slices = sorted
        grid = VoxelGrid(shape: [first.columns, first.rows, sorted.count],
                         spacing: [pixelSpacing[1], pixelSpacing[0], spacing],
                         origin: sorted[0].position!, directions: [along, down, normal])
    }

    private static func checkFramesAndSamples(_ series: DicomSeriesFiles) throws {
        if let multi = series.headers.first(where: { $0.frames > 1 }) {
            throw DataError("\(multi.path) holds \(multi.frames) frames in one file (an enhanced multi-frame object), which import-dicom does not read yet; convert the series to NIfTI (for example with dcm2niix) and use import-nifti")
        }
        if let colour = series.headers.first(where: { $0.samplesPerPixel != 1 }) {
            throw DataError("\(colour.path) is a colour image (\(colour.photometric), \(colour.samplesPerPixel) samples per pixel); import-dicom reads grey-scale series (pick another --series_uid)")
        }
        if let empty = series.headers.first(where: { $0.rows < 1 || $0.columns < 1 }) {
            throw DataError("\(empty.path) gives \(empty.columns)x\(empty.rows) pixels; its header is corrupt (re-export the series)")
        }
    }

    /// The distance between slices, after checking the sorted positions lie evenly along the normal.
    private static func sliceSpacing(_ sorted: [DicomHeader], normal: [Double], series: DicomSeriesFiles) throws -> Double {
        guard sorted.count > 1 else { return Swift.max(sorted[0].sliceThickness, 1) }
        var gaps: [Double] = []
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            let step = zip(b.position!, a.position!).map { $0 - $1 }
            let along = dot(step, normal)
            let across = zip(step, normal).map { $0 - along * $1 }
            let sideways = dot(across, across).squareRoot()
            if along < 1e-3 {
                throw DataError("\(a.path) and \(b.path) lie at the same position in \(series.label): it holds more than one stack (echoes, phases or repeats); separate them (for example by acquisition into folders) and import each")
            }
            if sideways > Swift.max(1e-3, 0.01 * along) {
                let degrees = atan2(sideways, along) * 180 / .pi
                throw DataError("\(series.label) has slices sheared by \(String(format: "%.2f", degrees))° (gantry tilt\(a.gantryTilt.map { " \($0)°" } ?? "")): its positions do not run along the slice normal; resample it to a rectangular grid first (dcm2niix corrects tilt when converting; then use import-nifti)")
            }
            gaps.append(along)
        }
        let typical = gaps.sorted()[gaps.count / 2]
        for (index, gap) in gaps.enumerated() {
            let ratio = gap / typical
            if ratio.rounded() >= 2, abs(ratio - ratio.rounded()) < 0.1 {
                let missing = Int(ratio.rounded()) - 1
                throw DataError("\(series.label) is missing \(missing) slice\(missing == 1 ? "" : "s") between \(sorted[index].path) and \(sorted[index + 1].path) (a gap of \(format(gap)) mm where the slices are \(format(typical)) mm apart); re-export the complete series")
            }
        }
        let (low, high) = (gaps.min()!, gaps.max()!)
        if high - low > spacingTolerance * typical {
            throw DataError("\(series.label) has uneven slice spacing, from \(format(low)) to \(format(high)) mm; resample it to even spacing first (for example with dcm2niix or SimpleITK, then use import-nifti)")
        }
        return gaps.reduce(0, +) / Double(gaps.count)
    }

    static func dot(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }

    static func cross(_ a: [Double], _ b: [Double]) -> [Double] {
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
    }

    static func close(_ a: [Double], _ b: [Double], relative: Bool) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= cosineTolerance * (relative ? Swift.max(abs($0), abs($1)) : 1) }
    }

    static func format(_ value: Double) -> String { String(format: "%.3f", value) }
    static func format(_ values: [Double]) -> String { values.map { String(format: "%.4f", $0) }.joined(separator: "\\") }
}
