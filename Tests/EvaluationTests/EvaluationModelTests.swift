import Evaluation
import Foundation
import ModelCard
import TestSupport
import Testing
import Training

/// Loading models for evaluation: segmadiff's own, the seed's (no segmadiff.json), and mistakes.
@Suite(.serialized) struct EvaluationModelTests {
    let model = TrainedTinyModel.shared
    let scratch = TemporaryFolder()

    @Test func aCheckpointWithoutCardIsReadAsTheSeeds() throws {
        let run = try model.copiedRun(into: scratch.url) { unet in
            try FileManager.default.removeItem(at: unet.appendingPathComponent(ModelCard.fileName))
        }
        var options = model.options(output: scratch.url.appendingPathComponent("out"))
        options.checkpointDirectory = run.path
        options.request.classes = 3
        let loaded = try EvaluationModel.load(options)
        #expect(!loaded.hasCard && loaded.guided)
        #expect(loaded.card.maskEncoding == .seed && loaded.card.segmentationChannelMode == .single)
        #expect(loaded.card.numSegmentationClasses == 3)
        let summary = try SampleMany.run(options)
        #expect(summary.written == 5)
    }

    /// A model trained with --prediction_type v_prediction says so in scheduler_config.json, and
    /// every sampler then runs it as a velocity model.
    @Test func theSavedPredictionTypeDecidesHowOutputsAreRead() throws {
        let run = scratch.url.appendingPathComponent("velocity")
        var training = TinyRun.options(data: model.data, output: run, epochs: 1)
        training.prediction = .vPrediction
        _ = try Trainer(training).run()
        let saved = try String(contentsOf: run.appendingPathComponent("scheduler/scheduler_config.json"), encoding: .utf8)
        #expect(saved.contains(#""prediction_type": "v_prediction""#))
        var options = model.options(output: scratch.url.appendingPathComponent("out"))
        options.checkpointDirectory = run.path
        for sampler in SamplerChoice.allCases {
            options.sampler = sampler
            #expect(try EvaluationModel.load(options).sampler(options).run.prediction == .vPrediction, "\(sampler)")
        }
        let plain = try EvaluationModel.load(model.options(output: scratch.url.appendingPathComponent("out")))
        #expect(try plain.sampler(model.options(output: scratch.url)).run.prediction == .epsilon)
    }

    @Test func aCardFromAnotherModelIsAChannelMismatch() throws {
        let run = try model.copiedRun(into: scratch.url) { unet in
            let url = unet.appendingPathComponent(ModelCard.fileName)
            var card = try ModelCard.read(from: url)
            card.maskEncoding = .onehot
            try card.encoded().write(to: url)
        }
        var options = model.options(output: scratch.url.appendingPathComponent("out"))
        options.checkpointDirectory = run.path
        let error = #expect(throws: UsageError.self) { try EvaluationModel.load(options) }
        #expect(error?.description.contains("\(run.path)/unet/config.json") == true)
        #expect(error?.description.contains("2 input") == true)
    }

    @Test func aMissingCheckpointNamesTheFile() throws {
        var options = model.options(output: scratch.url.appendingPathComponent("out"))
        options.checkpointDirectory = scratch.url.appendingPathComponent("nowhere").path
        let error = #expect(throws: UsageError.self) { try EvaluationModel.load(options) }
        #expect(error?.description.hasPrefix(scratch.url.appendingPathComponent("nowhere/unet/config.json").path) == true)
    }
}
