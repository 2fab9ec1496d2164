import CCairo
import Datasets
import Foundation
import Torch

/// The orthogonal-view figure of a generated volume: axial, coronal and sagittal planes through the
/// volume's centre, as a viewer shows them (RAS: anterior or superior up, the patient's right on the
/// right), each at its physical aspect ratio; one row for the labels (palette colours), one for the
/// generated image and, when a real image is given, one for it.
public struct OrthogonalViewFigure {
    /// [z, y, x] on the label volume's grid.
    let labels: Tensor
    let generated: Tensor
    let real: Tensor?
    let orientation: VoxelOrientation
    let spacing: [Double]
    /// The intensity range shown black to white, for the generated and the real image.
    let generatedRange: (low: Double, high: Double)
    let realRange: (low: Double, high: Double)?
    let caption: String

    init(labels: Tensor, generated: Tensor, real: Tensor?, orientation: VoxelOrientation, spacing: [Double],
         generatedRange: (low: Double, high: Double), caption: String) {
        // Every volume in RAS, so the planes come out the way up viewers show them.
        let toRAS = Reorientation(from: orientation, to: VoxelOrientation(codes: "RAS")!)
        self.labels = toRAS.forward(labels)
        self.generated = toRAS.forward(generated)
        self.real = real.map(toRAS.forward)
        self.orientation = orientation
        self.spacing = toRAS.spacing(spacing)
        self.generatedRange = generatedRange
        self.realRange = real.map { (Self.percentile($0, 0.005), Self.percentile($0, 0.995)) }
        self.caption = caption
    }

    /// One plane through the centre: [rows, columns] and its pixel size.
    private func plane(_ volume: Tensor, _ axis: AnatomicalAxis) -> (slice: Tensor, rows: Double, columns: Double) {
        let stack = SliceStack(axis: axis.worldAxis)  // in RAS, voxel axis k runs along world axis k
        let centre = volume.shape[2 - stack.axis] / 2
        let slice = volume.selected(dim: 2 - stack.axis, index: centre).flipped([0])
        let size = stack.pixelSize(spacing: spacing)
        return (slice, size.rows, size.columns)
    }

    static let target = 220.0, gap = 8.0, margin = 16.0, titleHeight = 56.0, labelWidth = 92.0, headerHeight = 20.0

    private var rows: [(name: String, volume: Tensor, kind: Kind)] {
        var rows: [(name: String, volume: Tensor, kind: Kind)] = [
            (name: "labels", volume: labels, kind: .labels), (name: "generated", volume: generated, kind: .image(generatedRange)),
        ]
        if let real, let realRange { rows.append((name: "real", volume: real, kind: .image(realRange))) }
        return rows
    }

    private enum Kind {
        case labels
        case image((low: Double, high: Double))
    }

    /// Drawing units per millimetre: the largest plane's longer side is `target` wide.
    private var scale: Double {
        let extents = AnatomicalAxis.allCases.map { axis -> Double in
            let p = plane(labels, axis)
            return max(Double(p.slice.shape[0]) * p.rows, Double(p.slice.shape[1]) * p.columns)
        }
        return Self.target / max(extents.max() ?? 1, 1e-6)
    }

    private var boxes: [(width: Double, height: Double)] {
        AnatomicalAxis.allCases.map { axis in
            let p = plane(labels, axis)
            return (Double(p.slice.shape[1]) * p.columns * scale, Double(p.slice.shape[0]) * p.rows * scale)
        }
    }

    var width: Double {
        let title = Double(caption.count) * 6.6
        return max(Self.margin * 2 + Self.labelWidth + boxes.map(\.width).reduce(0, +) + 2 * Self.gap, Self.margin * 2 + title)
    }

    var height: Double {
        let rowHeight = boxes.map(\.height).max() ?? Self.target
        return Self.margin * 2 + Self.titleHeight + Self.headerHeight + Double(rows.count) * (rowHeight + Self.gap)
    }

    var drawing: CairoDrawing { CairoDrawing(width: width, height: height) { draw($0) } }

    public func png() throws -> Data { try drawing.png() }
    public func pdf() throws -> Data { try drawing.pdf() }

    private func draw(_ context: OpaquePointer) {
        Cairo.fill(context, MaskPalette.Colour(red: 255, green: 255, blue: 255), x: 0, y: 0, width: width, height: height)
        cairo_set_source_rgb(context, 0, 0, 0)
        Cairo.text(context, "Generated volume: planes through the centre", x: Self.margin, y: Self.margin + 14, size: 14, bold: true)
        Cairo.text(context, caption, x: Self.margin, y: Self.margin + 34, size: 12)
        let boxes = self.boxes
        let rowHeight = boxes.map(\.height).max() ?? Self.target
        let top = Self.margin + Self.titleHeight
        var x = Self.margin + Self.labelWidth
        var columnX: [Double] = []
        for (column, axis) in AnatomicalAxis.allCases.enumerated() {
            columnX.append(x)
            cairo_set_source_rgb(context, 0, 0, 0)
            Cairo.text(context, axis.rawValue, x: x, y: top + 14, size: 12)
            x += boxes[column].width + Self.gap
        }
        for (rowIndex, row) in rows.enumerated() {
            let y = top + Self.headerHeight + Double(rowIndex) * (rowHeight + Self.gap)
            cairo_set_source_rgb(context, 0, 0, 0)
            Cairo.text(context, row.name, x: Self.margin, y: y + rowHeight / 2, size: 13)
            for (column, axis) in AnatomicalAxis.allCases.enumerated() {
                let slice = plane(row.volume, axis).slice
                let surface = switch row.kind {
                case .labels: labelSurface(slice)
                case .image(let range): greySurface(slice, range)
                }
                Cairo.paint(context, surface, x: columnX[column], y: y, width: boxes[column].width, height: boxes[column].height)
                cairo_surface_destroy(surface)
            }
        }
    }

    private func labelSurface(_ slice: Tensor) -> OpaquePointer {
        let (height, width) = (slice.shape[0], slice.shape[1])
        let values = slice.to(.int64).contiguous().scalars(as: Int64.self)
        return Cairo.imageSurface(width: width, height: height) { y, x in MaskPalette.colour(Int(values[y * width + x])) }
    }

    private func greySurface(_ slice: Tensor, _ range: (low: Double, high: Double)) -> OpaquePointer {
        let (height, width) = (slice.shape[0], slice.shape[1])
        let unit = ((slice.to(.float64) - range.low) / max(range.high - range.low, 1e-12)).clamped(min: 0, max: 1)
        let bytes = (unit * 255).rounded().to(.uint8).contiguous().scalars(as: UInt8.self)
        return Cairo.imageSurface(width: width, height: height) { y, x in
            let v = bytes[y * width + x]
            return MaskPalette.Colour(red: v, green: v, blue: v)
        }
    }

    /// The value below which a fraction `q` of the voxels lie (a robust display range for real scans).
    static func percentile(_ volume: Tensor, _ q: Double) -> Double {
        // Every k-th voxel (at most 200k of them) gives the percentile closely enough for display.
        let all = volume.reshaped([-1]).to(.float64).scalars(as: Double.self)
        let values = stride(from: 0, to: all.count, by: max(1, all.count / 200_000)).map { all[$0] }.sorted()
        guard !values.isEmpty else { return 0 }
        return values[min(values.count - 1, Int(q * Double(values.count - 1)))]
    }
}
