import Datasets
import Foundation
import ModelCard
import Models
import TestSupport
import Testing
import Torch
@testable import Training

@Suite(.serialized) struct TrainerTests {
    let scratch = TemporaryFolder()
    var data: URL { scratch.url.appendingPathComponent("data") }

    init() throws { try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data")) }

    @Test func trainsAndWritesTheSeedsLayoutAndItsAdditions() throws {
        let output = scratch.url.appendingPathComponent("run")
        let summary = try Trainer(TinyRun.options(data: data, output: output)).run()
        #expect(summary.epochsDone == 2 && summary.globalStep == 4 && !summary.stoppedEarly)
        let folder = RunFolder(output.path)
        // The checkpoint loads and describes itself.
        let checkpoint = try UNetCheckpoint.load(from: folder.unet)
        #expect(checkpoint.card?.mdformer?.variant == .segmadiff)
        #expect(checkpoint.card?.segTypes == ["all"])
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.modelIndex)) as! [String: Any]
        #expect(index["_class_name"] as? String == "SegGuidedDDIMPipeline")
        #expect(FileManager.default.fileExists(atPath: folder.scheduler.appendingPathComponent("scheduler_config.json").path))
        // Grids decode, one per epoch, with the masks and originals beside them.
        for name in ["0000.png", "0001.png", "0001_cond_seg_all.png", "0001_orig.png"] {
            let grid = try PixelCodec.decode(Data(contentsOf: folder.samples.appendingPathComponent(name)))
            #expect(grid.channels == 3 && grid.width == 4 * TinyRun.size, "\(name)")
        }
        let state = try TrainingState.load(from: folder.trainingState).0
        #expect(state.epoch == 2 && state.batchInEpoch == 0 && state.globalStep == 4)
        let events = try FileManager.default.contentsOfDirectory(atPath: folder.logs.path).filter { $0.hasPrefix("events.out.tfevents") }
        #expect(events.count == 1)
    }

    /// `--cfg_p_uncond` trains (the loader blanks masks) and is recorded in segmadiff.json, which
    /// tells sampling that the blank-mask prediction was learnt.
    @Test func blankMaskTrainingIsRecordedInTheCard() throws {
        let output = scratch.url.appendingPathComponent("cfg")
        var options = TinyRun.options(data: data, output: output, epochs: 1)
        options.cfgPUncond = 0.3
        _ = try Trainer(options).run()
        let card = try ModelCard.read(from: RunFolder(output.path).unet.appendingPathComponent(ModelCard.fileName))
        #expect(card.cfgPUncond == 0.3)
    }

    /// Stopped after epoch 1 and resumed, or stopped after the first batch and resumed, a run ends
    /// with the same weights, bit for bit, as one that was never interrupted.
    @Test func resumedRunsEqualAnUninterruptedOne() throws {
        let straight = scratch.url.appendingPathComponent("straight")
        _ = try Trainer(TinyRun.options(data: data, output: straight)).run()
        let expected = try TinyRun.weights(straight)

        let atEpoch = scratch.url.appendingPathComponent("at-epoch")
        let first = Trainer(TinyRun.options(data: data, output: atEpoch))
        first.onEpochEnd = { _ in first.stop.request() }
        #expect(try first.run().stoppedEarly)
        _ = try Trainer(TinyRun.options(data: data, output: atEpoch, resume: .latest)).run()
        #expect(try TinyRun.weights(atEpoch) == expected)

        let midEpoch = scratch.url.appendingPathComponent("mid-epoch")
        let stop = StopRequest()
        stop.request() // stops after the first batch
        let summary = try Trainer(TinyRun.options(data: data, output: midEpoch), stop: stop).run()
        #expect(summary.stoppedEarly && summary.globalStep == 1)
        _ = try Trainer(TinyRun.options(data: data, output: midEpoch, resume: .latest)).run()
        #expect(try TinyRun.weights(midEpoch) == expected)
    }

    @Test func refusesToOverwriteACheckpointWithoutBeingAsked() throws {
        let output = scratch.url.appendingPathComponent("guarded")
        _ = try Trainer(TinyRun.options(data: data, output: output, epochs: 1)).run()
        let before = try TinyRun.weights(output)
        #expect {
            try Trainer(TinyRun.options(data: data, output: output, epochs: 1)).run()
        } throws: { error in
            "\(error)".contains("already holds a checkpoint") && "\(error)".contains("--resume")
        }
        #expect(try TinyRun.weights(output) == before)
        var again = TinyRun.options(data: data, output: output, epochs: 1)
        again.overwrite = true
        _ = try Trainer(again).run()
    }

    @Test func resumeWithoutStateIsAUsageError() throws {
        let output = scratch.url.appendingPathComponent("empty")
        #expect(throws: UsageError.self) {
            try Trainer(TinyRun.options(data: data, output: output, resume: .latest)).run()
        }
    }
}
