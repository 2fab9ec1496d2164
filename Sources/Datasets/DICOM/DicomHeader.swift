import CDicom
import Foundation

/// The header of one DICOM file (read by GDCM, pixels left unread): which series it belongs to,
/// where its pixels sit in the patient and how its stored values become real ones.
public struct DicomHeader: Sendable {
    public var path: String
    public var seriesUID: String
    public var sopUID: String
    public var modality: String
    /// MONOCHROME1 (bright is low), MONOCHROME2, RGB, ...
    public var photometric: String
    public var transferSyntax: String
    public var seriesDescription: String
    public var rows: Int
    public var columns: Int
    public var frames: Int
    public var samplesPerPixel: Int
    public var bitsStored: Int
    public var signed: Bool
    public var hasPixelData: Bool
    public var instanceNumber: Int?
    /// ImagePositionPatient: the centre of the first pixel, mm (LPS).
    public var position: [Double]?
    /// ImageOrientationPatient: the direction along a row (columns increasing), then down a column.
    public var orientation: [Double]?
    /// PixelSpacing: between rows, then between columns (mm).
    public var pixelSpacing: [Double]?
    public var slope: Double
    public var intercept: Double
    public var sliceThickness: Double
    public var gantryTilt: Double?

    /// The header of `path`; nil when GDCM cannot parse it as DICOM at all and it does not claim
    /// to be DICOM (no "DICM" at byte 128): folders of series often hold other files too.
    public static func read(_ path: String) throws -> DicomHeader? {
        var raw = cd_header()
        var message = [CChar](repeating: 0, count: 512)
        let status = cd_read_header(path, &raw, &message, message.count)
        if status == CD_NOT_DICOM && !claimsDicom(path) { return nil }
        guard status == CD_OK else {
            throw DataError("\(path): \(PixelCodec.text(of: message)); remove it from the folder or re-export the series")
        }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        func values<T>(_ field: T, _ count: Int) -> [Double] {
            withUnsafeBytes(of: field) { Array($0.bindMemory(to: Double.self).prefix(count)) }
        }
        return DicomHeader(
            path: path, seriesUID: text(raw.series_uid), sopUID: text(raw.sop_uid), modality: text(raw.modality),
            photometric: text(raw.photometric), transferSyntax: text(raw.transfer_syntax),
            seriesDescription: text(raw.series_description), rows: Int(raw.rows), columns: Int(raw.columns),
            frames: Int(raw.frames), samplesPerPixel: Int(raw.samples_per_pixel), bitsStored: Int(raw.bits_stored),
            signed: raw.pixel_representation == 1, hasPixelData: raw.has_pixel_data != 0,
            instanceNumber: raw.has_instance_number != 0 ? Int(raw.instance_number) : nil,
            position: raw.has_position != 0 ? values(raw.position, 3) : nil,
            orientation: raw.has_orientation != 0 ? values(raw.orientation, 6) : nil,
            pixelSpacing: raw.has_pixel_spacing != 0 ? values(raw.pixel_spacing, 2) : nil,
            slope: raw.slope, intercept: raw.intercept, sliceThickness: raw.slice_thickness,
            gantryTilt: raw.has_gantry_tilt != 0 ? raw.gantry_tilt : nil)
    }

    /// A DICOM Part 10 file: 128 bytes of preamble, then "DICM".
    static func claimsDicom(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        guard let start = try? handle.read(upToCount: 132), start.count == 132 else { return false }
        return start.suffix(4) == Data("DICM".utf8)
    }
}
