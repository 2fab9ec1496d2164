import CCairo
import Foundation

/// The benchmark's figure: one row per arm, a dot at its mean test Dice, a bar across its 95%
/// t-interval over seeds, each seed's value as a small tick, and a dashed line at real_only's mean.
struct BenchmarkPlot {
    let report: BenchmarkReport

    static let margin = 16.0, labelWidth = 150.0, plotWidth = 520.0, valueWidth = 120.0, rowHeight = 30.0, titleHeight = 54.0, axisHeight = 40.0

    var width: Double { 2 * Self.margin + Self.labelWidth + Self.plotWidth + 16 + Self.valueWidth }
    var height: Double { 2 * Self.margin + Self.titleHeight + Double(report.arms.count) * Self.rowHeight + Self.axisHeight }

    /// The Dice range shown: every interval and seed value, padded, within [0, 1].
    var range: (low: Double, high: Double) {
        let values = report.arms.flatMap { s in s.dice.values + [s.dice.low, s.dice.high].compactMap { $0 } }
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        let pad = max(0.02, (high - low) * 0.1)
        return (max(0, ((low - pad) * 20).rounded(.down) / 20), min(1, ((high + pad) * 20).rounded(.up) / 20))
    }

    func png() throws -> Data { try drawing.png() }
    func pdf() throws -> Data { try drawing.pdf() }

    private var drawing: CairoDrawing {
        CairoDrawing(width: width, height: height) { context in self.draw(context) }
    }

    /// The horizontal position of a Dice value; values outside the axis (an interval of few seeds
    /// can reach past 1) are drawn at its end.
    private func x(_ dice: Double) -> Double {
        let (low, high) = range
        let dice = min(max(dice, low), high)
        return Self.margin + Self.labelWidth + (dice - low) / max(1e-9, high - low) * Self.plotWidth
    }

    private func draw(_ c: OpaquePointer) {
        Cairo.fill(c, .init(red: 255, green: 255, blue: 255), x: 0, y: 0, width: width, height: height)
        cairo_set_source_rgb(c, 0, 0, 0)
        Cairo.text(c, "Test Dice per training set (mean, 95% t-interval over \(report.seeds.count) seeds, ticks: seeds)",
                   x: Self.margin, y: Self.margin + 16, size: 14, bold: true)
        Cairo.text(c, "Real test split, epoch chosen on real val. Dashed: real_only's mean. Green: helps, red: hurts (paired, vs real_only).", x: Self.margin, y: Self.margin + 36, size: 12)
        let top = Self.margin + Self.titleHeight
        let bottom = top + Double(report.arms.count) * Self.rowHeight
        drawAxis(c, top: top, bottom: bottom)
        if let reference = report.arms.first(where: { $0.arm == .realOnly })?.dice.mean {
            cairo_set_source_rgb(c, 0.4, 0.4, 0.4)
            cairo_set_line_width(c, 1)
            cairo_set_dash(c, [4, 3], 2, 0)
            cairo_move_to(c, x(reference), top)
            cairo_line_to(c, x(reference), bottom)
            cairo_stroke(c)
            cairo_set_dash(c, nil, 0, 0)
        }
        for (row, summary) in report.arms.enumerated() {
            let y = top + (Double(row) + 0.5) * Self.rowHeight
            cairo_set_source_rgb(c, 0, 0, 0)
            Cairo.text(c, summary.arm.rawValue, x: Self.margin, y: y + 4, size: 12)
            let (red, green, blue) = colour(summary)
            cairo_set_source_rgb(c, red, green, blue)
            if let low = summary.dice.low, let high = summary.dice.high {
                cairo_set_line_width(c, 3)
                cairo_move_to(c, x(low), y)
                cairo_line_to(c, x(high), y)
                cairo_stroke(c)
            }
            cairo_set_line_width(c, 1)
            for value in summary.dice.values {
                cairo_move_to(c, x(value), y - 7)
                cairo_line_to(c, x(value), y + 7)
                cairo_stroke(c)
            }
            if let mean = summary.dice.mean {
                cairo_arc(c, x(mean), y, 5, 0, 2 * Double.pi)
                cairo_fill(c)
            }
            cairo_set_source_rgb(c, 0, 0, 0)
            Cairo.text(c, summary.dice.formatted(), x: Self.margin + Self.labelWidth + Self.plotWidth + 24, y: y + 4, size: 12)
        }
    }

    /// Green when the arm measurably helps against real_only, red when it hurts, grey otherwise.
    private func colour(_ summary: BenchmarkReport.ArmSummary) -> (Double, Double, Double) {
        switch summary.versusRealOnly?.effect {
        case .helps?: (0.1, 0.55, 0.2)
        case .hurts?: (0.8, 0.15, 0.1)
        default: summary.arm == .realOnly ? (0, 0, 0) : (0.35, 0.35, 0.5)
        }
    }

    private func drawAxis(_ c: OpaquePointer, top: Double, bottom: Double) {
        let (low, high) = range
        cairo_set_source_rgb(c, 0, 0, 0)
        cairo_set_line_width(c, 1)
        cairo_move_to(c, x(low), bottom + 4)
        cairo_line_to(c, x(high), bottom + 4)
        cairo_stroke(c)
        let step = high - low > 0.5 ? 0.1 : 0.05
        var tick = (low / step).rounded(.up) * step
        while tick <= high + 1e-9 {
            cairo_set_source_rgb(c, 0.88, 0.88, 0.88)
            cairo_move_to(c, x(tick), top)
            cairo_line_to(c, x(tick), bottom)
            cairo_stroke(c)
            cairo_set_source_rgb(c, 0, 0, 0)
            Cairo.text(c, String(format: "%.2f", tick), x: x(tick) - 12, y: bottom + 20, size: 11)
            tick += step
        }
        Cairo.text(c, "test Dice (mean over classes)", x: x(low) + Self.plotWidth / 2 - 80, y: bottom + 36, size: 11)
    }
}
