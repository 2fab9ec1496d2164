import Datasets
import Evaluation
import Foundation
import Models
import ModelCard
import TestSupport
import Torch
import Training

/// One tiny guided model (TinyRun: 16 px, K = 3, one seg type "all", 2 test masks), trained for one
/// epoch on first use and shared by every evaluation test.
final class TrainedTinyModel: @unchecked Sendable {
    static let shared = try! TrainedTinyModel()

    let scratch = TemporaryFolder()
    var data: URL { scratch.url.appendingPathComponent("data") }
    var run: URL { scratch.url.appendingPathComponent("run") }
    var testMasks: URL { data.appendingPathComponent("mask/all/test") }

    private init() throws {
        try TinyRun.writeDataset(in: data)
        _ = try Trainer(TinyRun.options(data: data, output: run, epochs: 1)).run()
    }

    /// Options for an evaluation of the shared model into a fresh output folder.
    func options(output: URL, images: Bool = true) -> EvaluationOptions {
        EvaluationOptions(checkpointDirectory: run.path, outputDirectory: output.path,
                          imageDirectory: images ? data.appendingPathComponent("img").path : nil,
                          maskDirectory: data.appendingPathComponent("mask").path, evalBatchSize: 4, sampleCount: 5,
                          sampler: .ddim, inferenceSteps: 2, seed: 3)
    }

    /// A copy of the run folder's unet/ with `edit` applied to its files, for loading variants.
    func copiedRun(into folder: URL, edit: (URL) throws -> Void = { _ in }) throws -> URL {
        let copy = folder.appendingPathComponent("copied-run")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        // unet is a link into latest/ (the committed checkpoint): copy what it names, not the link.
        try FileManager.default.copyItem(at: run.appendingPathComponent("unet").resolvingSymlinksInPath(), to: copy.appendingPathComponent("unet"))
        try edit(copy.appendingPathComponent("unet"))
        return copy
    }
}

/// A random-weight model saved in the checkpoint layout, for format tests that need no training.
func saveUntrainedModel(in folder: URL, imageChannels: Int, card: ModelCard?) throws {
    let maskChannels = card.map { $0.numSegmentationClasses > 0 ? 1 : 0 } ?? 1
    let config = UNetConfig.segmadiff(sampleSize: TinyRun.size, inChannels: imageChannels + maskChannels,
                                      outChannels: imageChannels, layersPerBlock: 1, blockOutChannels: [32, 64])
    let model = UNet2DModel(config: config, mdformer: nil)
    try UNetCheckpoint.save(model, card: card, to: folder.appendingPathComponent("unet"))
}

/// Decoded PNG or NPY file.
func decoded(_ url: URL) throws -> RawImage { try ImageFile.read(url.path) }

func files(in folder: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
}
