import Datasets
import Evaluation
import Foundation
import TestSupport
import Testing
import Torch
import Training

/// `--mode eval`: the seed's grids from the first test batch, blank masks, the mask-removal figure.
@Suite(.serialized) struct GenerationEvaluationTests {
    let model = TrainedTinyModel.shared
    let scratch = TemporaryFolder()

    @Test func writesTheGridsOfTheActualBatch() throws {
        let output = scratch.url.appendingPathComponent("out")
        let written = try GenerationEvaluation.run(model.options(output: output))
        let samples = output.appendingPathComponent("samples")
        #expect(written.map(\.lastPathComponent) == ["-001.png", "-001_cond_seg_all.png", "-001_orig.png"])
        // --eval_batch_size 4 but only 2 test masks: a grid of 2 (one row of 4 cells, docs/python-reference.md §9 #18).
        for name in ["-001.png", "-001_cond_seg_all.png", "-001_orig.png"] {
            let grid = try decoded(samples.appendingPathComponent(name))
            #expect(grid.samples.shape == [3, TinyRun.size, 4 * TinyRun.size], "\(name)")
            let emptyCells = grid.samples.narrowed(dim: 2, start: 2 * TinyRun.size, length: 2 * TinyRun.size)
            #expect(emptyCells.max().item == 0, "\(name): cells past the batch are black")
        }
        // The mask grid shows the test masks (labels 0-2 min-max scaled to 0, 128, 255).
        let mask = try decoded(model.testMasks.appendingPathComponent("case00.png")).samples.to(.float32)
        let shown = try decoded(samples.appendingPathComponent("-001_cond_seg_all.png")).samples
            .narrowed(dim: 0, start: 0, length: 1).narrowed(dim: 2, start: 0, length: TinyRun.size).to(.float32)
        #expect((shown - (mask * 127.5).rounded()).abs().max().item <= 1)
    }

    @Test func withoutTestImagesThereIsNoOriginalGrid() throws {
        let output = scratch.url.appendingPathComponent("masks-only")
        let written = try GenerationEvaluation.run(model.options(output: output, images: false))
        #expect(written.map(\.lastPathComponent) == ["-001.png", "-001_cond_seg_all.png"])
    }

    @Test func blankMaskConditionsOnBackgroundOnly() throws {
        let full = scratch.url.appendingPathComponent("full"), blank = scratch.url.appendingPathComponent("blank")
        _ = try GenerationEvaluation.run(model.options(output: full))
        var options = model.options(output: blank)
        options.blankMask = true
        _ = try GenerationEvaluation.run(options)
        let masks = try decoded(blank.appendingPathComponent("samples/-001_cond_seg_all.png"))
        #expect(masks.samples.max().item == 0)
        let withMasks = try decoded(full.appendingPathComponent("samples/-001.png")).samples
        let withBlank = try decoded(blank.appendingPathComponent("samples/-001.png")).samples
        #expect(withMasks.ne(withBlank).any().item != 0, "same noise, different masks: different images")
    }

    @Test func maskRemovalFigureHasARowPerClass() throws {
        let output = scratch.url.appendingPathComponent("removal")
        var options = model.options(output: output)
        options.maskRemoval = true
        let written = try GenerationEvaluation.run(options)
        #expect(written.contains(MaskRemovalFigure.pngURL(options.output)))
        let png = try decoded(MaskRemovalFigure.pngURL(options.output))
        let pdf = try Data(contentsOf: MaskRemovalFigure.pdfURL(options.output))
        #expect(pdf.starts(with: Data("%PDF".utf8)))
        // K = 3: full mask + 2 removals; 2 samples. The height of a plot of that shape (the width
        // also depends on the caption's length).
        let schedule = MaskRemovalSchedule(classes: 3, names: nil)
        let plot = MaskRemovalPlot(schedule: schedule, sampleNames: ["a", "b"], masks: [], images: [], caption: "")
        #expect(png.samples.shape[1] == Int(plot.figureHeight.rounded(.up)))
        #expect(png.samples.shape[2] >= Int(plot.figureWidth.rounded(.up)))
    }

    @Test func maskRemovalNeedsAGuidedModel() throws {
        let folder = scratch.url.appendingPathComponent("unguided")
        try saveUntrainedModel(in: folder, imageChannels: 1, card: .init(mdformer: nil, numSegmentationClasses: 0))
        var options = model.options(output: scratch.url.appendingPathComponent("out"))
        options.checkpointDirectory = folder.path
        options.maskRemoval = true
        #expect(throws: UsageError.self) { try GenerationEvaluation.run(options) }
        #expect(files(in: scratch.url.appendingPathComponent("out")).isEmpty, "nothing sampled or written")
    }
}
