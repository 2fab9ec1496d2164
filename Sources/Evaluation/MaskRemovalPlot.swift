import CCairo
import Foundation
import Torch

/// The drawing of the mask-removal figure: one row per mask state, and for each sample the mask
/// (palette colours, background black) beside the image generated from it (grey, or RGB for three
/// channels); a title that states the schedule, row labels with class names and a colour legend.
public struct MaskRemovalPlot {
    public let schedule: MaskRemovalSchedule
    /// The source mask of each column pair.
    public let sampleNames: [String]
    /// [rows][samples]: label maps [S, S] (integers).
    public let masks: [[Tensor]]
    /// [rows][samples]: images [C, S, S] in [0, 1].
    public let images: [[Tensor]]
    /// A second title line (sampler, steps, seed).
    public let caption: String

    public init(schedule: MaskRemovalSchedule, sampleNames: [String], masks: [[Tensor]], images: [[Tensor]], caption: String) {
        self.schedule = schedule
        self.sampleNames = sampleNames
        self.masks = masks
        self.images = images
        self.caption = caption
    }

    // Layout, in drawing units (PNG pixels).
    static let cell = 128.0, gap = 4.0, sampleGap = 20.0, margin = 16.0, titleHeight = 72.0, headerHeight = 22.0

    /// The schedule, stated on the figure, then the caption.
    var titleLines: [String] {
        ["Rows: the full mask, then the full mask with one class set to background (one class per row, not cumulative).",
         "The same noise in every row, so differences come from the mask. \(caption)"]
    }
    static let swatch = 14.0, legendRow = 22.0

    var labelWidth: Double {
        let longest = schedule.rows.map(\.label.count).max() ?? 10
        return max(110, Double(longest) * 7.5 + 16)
    }

    public var figureWidth: Double {
        let n = Double(sampleNames.count)
        let columns = n * (2 * Self.cell + Self.gap) + max(0, n - 1) * Self.sampleGap
        let title = Double(titleLines.map(\.count).max() ?? 0) * 6.6
        return max(Self.margin * 2 + labelWidth + columns, Self.margin * 2 + title, 640)
    }

    /// Legend entries per line, and the lines needed.
    var legendLayout: (perLine: Int, lines: Int) {
        let perLine = max(1, Int((figureWidth - 2 * Self.margin) / 170))
        return (perLine, (schedule.classNames.count + perLine - 1) / perLine)
    }

    public var figureHeight: Double {
        let rows = Double(schedule.rows.count)
        return Self.margin * 2 + Self.titleHeight + Self.headerHeight + rows * (Self.cell + Self.gap)
            + 10 + Double(legendLayout.lines) * Self.legendRow
    }

    var drawing: CairoDrawing {
        CairoDrawing(width: figureWidth, height: figureHeight) { context in draw(context) }
    }

    public func png() throws -> Data { try drawing.png() }
    public func pdf() throws -> Data { try drawing.pdf() }

    private func draw(_ context: OpaquePointer) {
        let white = MaskPalette.Colour(red: 255, green: 255, blue: 255)
        Cairo.fill(context, white, x: 0, y: 0, width: figureWidth, height: figureHeight)
        cairo_set_source_rgb(context, 0, 0, 0)
        Cairo.text(context, "Mask removal", x: Self.margin, y: Self.margin + 14, size: 14, bold: true)
        for (line, text) in titleLines.enumerated() {
            Cairo.text(context, text, x: Self.margin, y: Self.margin + 34 + Double(line) * 16, size: 12)
        }

        let top = Self.margin + Self.titleHeight
        for (sample, name) in sampleNames.enumerated() {
            cairo_set_source_rgb(context, 0, 0, 0)
            Cairo.text(context, "\(name): mask | image", x: columnX(sample), y: top + 14, size: 12)
        }
        for (rowIndex, row) in schedule.rows.enumerated() {
            let y = top + Self.headerHeight + Double(rowIndex) * (Self.cell + Self.gap)
            cairo_set_source_rgb(context, 0, 0, 0)
            Cairo.text(context, row.label, x: Self.margin, y: y + Self.cell / 2 + 5, size: 13)
            for sample in sampleNames.indices {
                let x = columnX(sample)
                let mask = maskSurface(masks[rowIndex][sample])
                Cairo.paint(context, mask, x: x, y: y, side: Self.cell)
                cairo_surface_destroy(mask)
                let image = imageSurface(images[rowIndex][sample])
                Cairo.paint(context, image, x: x + Self.cell + Self.gap, y: y, side: Self.cell)
                cairo_surface_destroy(image)
            }
        }
        drawLegend(context, top: top + Self.headerHeight + Double(schedule.rows.count) * (Self.cell + Self.gap) + 10)
    }

    private func columnX(_ sample: Int) -> Double {
        Self.margin + labelWidth + Double(sample) * (2 * Self.cell + Self.gap + Self.sampleGap)
    }

    private func drawLegend(_ context: OpaquePointer, top: Double) {
        let perLine = legendLayout.perLine
        for (label, name) in schedule.classNames.enumerated() {
            let x = Self.margin + Double(label % perLine) * 170, y = top + Double(label / perLine) * Self.legendRow
            let grey = MaskPalette.Colour(red: 128, green: 128, blue: 128)
            Cairo.fill(context, grey, x: x - 1, y: y - 1, width: Self.swatch + 2, height: Self.swatch + 2)
            Cairo.fill(context, MaskPalette.colour(label), x: x, y: y, width: Self.swatch, height: Self.swatch)
            cairo_set_source_rgb(context, 0, 0, 0)
            Cairo.text(context, "\(label) \(name)", x: x + Self.swatch + 6, y: y + Self.swatch - 2, size: 12)
        }
    }

    private func maskSurface(_ labels: Tensor) -> OpaquePointer {
        let (height, width) = (labels.shape[0], labels.shape[1])
        let values = labels.to(.int64).contiguous().scalars(as: Int64.self)
        return Cairo.imageSurface(width: width, height: height) { y, x in MaskPalette.colour(Int(values[y * width + x])) }
    }

    private func imageSurface(_ image: Tensor) -> OpaquePointer {
        let (channels, height, width) = (image.shape[0], image.shape[1], image.shape[2])
        let shown = channels == 3 ? image : image.narrowed(dim: 0, start: 0, length: 1)
        let bytes = (shown.clamped(min: 0, max: 1) * 255).rounded().to(.uint8).contiguous().scalars(as: UInt8.self)
        let plane = height * width
        return Cairo.imageSurface(width: width, height: height) { y, x in
            let at = y * width + x
            return channels == 3 ? MaskPalette.Colour(red: bytes[at], green: bytes[plane + at], blue: bytes[2 * plane + at])
                                 : MaskPalette.Colour(red: bytes[at], green: bytes[at], blue: bytes[at])
        }
    }
}
