import Datasets
import Evaluation
import Foundation
import TestSupport
import Testing
import Torch

/// The figure itself, for class counts the seed's fixed palettes could not draw (docs/python-reference.md §9 #8).
struct MaskRemovalPlotTests {
    func plot(classes: Int, samples: Int) -> MaskRemovalPlot {
        let schedule = MaskRemovalSchedule(classes: classes, names: nil)
        let size = 12
        let labels = (Tensor.arange(0, Double(size * size)).remainder(Double(classes))).reshaped(size, size).to(.int64)
        let masks = schedule.rows.map { row in (0..<samples).map { _ in schedule.apply(row, to: labels) } }
        let images = schedule.rows.map { _ in (0..<samples).map { _ in Tensor.rand([1, size, size]) } }
        return MaskRemovalPlot(schedule: schedule, sampleNames: (0..<samples).map { "case\($0).png" }, masks: masks,
                               images: images, caption: "test")
    }

    @Test(arguments: [2, 7]) func rendersPNGAndPDF(classes: Int) throws {
        let figure = plot(classes: classes, samples: 3)
        let png = try PixelCodec.decode(try figure.png())
        #expect(png.height == Int(figure.figureHeight.rounded(.up)))
        #expect(png.width == Int(figure.figureWidth.rounded(.up)))
        #expect(try figure.pdf().starts(with: Data("%PDF".utf8)))
        #expect(figure.schedule.rows.count == classes)
    }

    @Test func scheduleRemovesOneClassPerRowNotCumulatively() {
        let schedule = MaskRemovalSchedule(classes: 4, names: ["bg", "liver", "kidney", "bone"])
        #expect(schedule.rows.map(\.label) == ["full mask", "without liver", "without kidney", "without bone"])
        let labels = Tensor([0, 1, 2, 3] as [Int64])
        #expect(schedule.apply(schedule.rows[2], to: labels).scalars(as: Int64.self) == [0, 1, 0, 3])
        #expect(schedule.apply(schedule.rows[0], to: labels).scalars(as: Int64.self) == [0, 1, 2, 3])
    }

    @Test func paletteIsDistinctForAnyClassCount() {
        let colours = (0..<40).map(MaskPalette.colour)
        #expect(Set(colours).count == 40)
        #expect(colours[0] == MaskPalette.Colour(red: 0, green: 0, blue: 0))
    }
}
