import CDicom
import Foundation
import Torch

/// A DICOM series read as one volume in real units: RescaleSlope and RescaleIntercept applied
/// (Hounsfield units for CT), MONOCHROME1 inverted so that bright is high, as in MONOCHROME2.
public struct DicomVolume: @unchecked Sendable {
    public var layout: DicomSeriesLayout
    /// [slices, rows, columns] float64, slices in `layout.slices` order, row 0 at the top of the image.
    public var data: Tensor

    public var grid: VoxelGrid { layout.grid }
    public var seriesUID: String { layout.series.uid }

    /// Reads the series `uid` in `folder` (searched recursively), or its largest series.
    public static func read(folder: String, seriesUID uid: String? = nil) throws -> DicomVolume {
        try read(DicomSeriesLayout(DicomFolderScan.choose(in: folder, uid: uid)))
    }

    /// Decodes every slice of an arranged series.
    public static func read(_ layout: DicomSeriesLayout) throws -> DicomVolume {
        let (rows, columns) = (layout.grid.shape[1], layout.grid.shape[0])
        let sliceSize = rows * columns
        var stored = [Double](repeating: 0, count: sliceSize * layout.slices.count)
        var message = [CChar](repeating: 0, count: 512)
        for (index, header) in layout.slices.enumerated() {
            let status = stored.withUnsafeMutableBufferPointer {
                cd_read_pixels(header.path, $0.baseAddress! + index * sliceSize, sliceSize, &message, message.count)
            }
            guard status == CD_OK else {
                throw DataError("\(header.path): \(PixelCodec.text(of: message)); re-export the series or remove the file (then the series is incomplete)")
            }
        }
        let values = Tensor(stored, shape: [layout.slices.count, rows, columns])
        return DicomVolume(layout: layout, data: realValues(values, layout.slices))
    }

    /// Stored values -> real ones, slice by slice (slope and intercept may differ between files):
    /// MONOCHROME1 is first mirrored within the stored range (0...2^bits - 1, or -2^(bits-1)...2^(bits-1) - 1
    /// when signed), then `value · slope + intercept`.
    static func realValues(_ stored: Tensor, _ slices: [DicomHeader]) -> Tensor {
        let count = slices.count
        let sign = slices.map { $0.photometric == "MONOCHROME1" ? -1.0 : 1.0 }
        let mirror = slices.map { header -> Double in
            guard header.photometric == "MONOCHROME1" else { return 0 }
            let bits = Double(header.bitsStored > 0 ? header.bitsStored : 16)
            return header.signed ? -1 : pow(2, bits) - 1
        }
        let shape = [count, 1, 1]
        let displayed = stored * Tensor(sign, shape: shape) + Tensor(mirror, shape: shape)
        return displayed * Tensor(slices.map(\.slope), shape: shape) + Tensor(slices.map(\.intercept), shape: shape)
    }
}
