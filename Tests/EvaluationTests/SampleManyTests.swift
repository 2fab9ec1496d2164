import Datasets
import Evaluation
import Foundation
import ModelCard
import TestSupport
import Testing
import Torch
import Training

/// eval_many / `segmadiff sample`: exactly N images, their masks, the manifest, resuming.
@Suite(.serialized) struct SampleManyTests {
    let model = TrainedTinyModel.shared
    let scratch = TemporaryFolder()

    func manifest(_ folder: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as! [String: Any]
    }

    @Test func writesExactlyNImagesWithTheirMasksCyclingTheTestMasks() throws {
        let options = model.options(output: scratch.url.appendingPathComponent("out"))
        let summary = try SampleMany.run(options)
        let folder = options.output.samplesMany(5)
        #expect(summary.folder.path == folder.path)
        #expect(summary.written == 5 && summary.skipped == 0)
        let stems = ["case00", "case00_2", "case00_3", "case01", "case01_2"]
        #expect(files(in: folder) == stems.map { "\($0).png" } + ["manifest.json", "masks"])
        #expect(files(in: folder.appendingPathComponent("masks")) == stems.map { "\($0).png" })
        for stem in stems {
            let image = try decoded(folder.appendingPathComponent("\(stem).png"))
            #expect(image.samples.shape == [1, TinyRun.size, TinyRun.size])
            // Without ablation the mask used is the test mask the name comes from.
            let used = try decoded(folder.appendingPathComponent("masks/\(stem).png")).samples
            let source = try decoded(model.testMasks.appendingPathComponent("\(stem.prefix(6)).png")).samples
            #expect(used.eq(source).all().item != 0, "\(stem)")
        }
        let record = try manifest(folder)
        let images = record["images"] as! [[String: Any]]
        #expect(images.count == 5)
        #expect(images.map { $0["file"] as! String } == ["case00.png", "case01.png", "case00_2.png", "case01_2.png", "case00_3.png"])
        #expect(images[2]["mask_file"] as? String == "masks/case00_2.png")
        #expect(images[2]["source_mask"] as? String == "case00.png")
        #expect(images.allSatisfy { $0["sampler"] as? String == "ddim" && $0["steps"] as? Int == 2 && $0["seed"] != nil })
        #expect(Set(images.map { "\($0["seed"]!)" }).count == 5, "every image its own noise")
        #expect(record["count"] as? Int == 5 && record["seed"] as? Int == 3)
    }

    @Test func aSecondRunSkipsWhatExistsAndRemakesTheSameImages() throws {
        let options = model.options(output: scratch.url.appendingPathComponent("out"))
        _ = try SampleMany.run(options)
        let folder = options.output.samplesMany(5)
        let original = try Data(contentsOf: folder.appendingPathComponent("case01_2.png"))
        let again = try SampleMany.run(options)
        #expect(again.written == 0 && again.skipped == 5)
        // A run stopped before case01_2 was written makes exactly that image, the same bytes.
        try FileManager.default.removeItem(at: folder.appendingPathComponent("case01_2.png"))
        let resumed = try SampleMany.run(options)
        #expect(resumed.written == 1 && resumed.skipped == 4)
        #expect(try Data(contentsOf: folder.appendingPathComponent("case01_2.png")) == original)
        #expect((try manifest(folder)["images"] as! [[String: Any]]).count == 5)
        // Other settings in the same folder are refused instead of mixing images.
        var other = options
        other.inferenceSteps = 3
        #expect(throws: UsageError.self) { try SampleMany.run(other) }
    }

    @Test func ablatedMasksAreSavedAsUsed() throws {
        var options = model.options(output: scratch.url.appendingPathComponent("ablated"))
        options.ablation = true
        options.sampleCount = 6
        _ = try SampleMany.run(options)
        let folder = options.output.samplesMany(6)
        var changed = 0
        for stem in ["case00", "case01", "case00_2", "case01_2", "case00_3", "case01_3"] {
            let used = try decoded(folder.appendingPathComponent("masks/\(stem).png")).samples
            let source = try decoded(model.testMasks.appendingPathComponent("\(stem.prefix(6)).png")).samples
            // Ablation only sets classes to background, and each sample draws its own.
            #expect(used.eq(source).logicalOr(used.eq(0)).all().item != 0, "\(stem)")
            if used.ne(source).any().item != 0 { changed += 1 }
        }
        #expect(changed > 0, "with p = 0.5 per class, some of six masks lose a class")
    }

    @Test func sampleFromAFolderOfMasks() throws {
        let masks = scratch.url.appendingPathComponent("my-masks")
        try FileManager.default.createDirectory(at: masks, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: model.testMasks.appendingPathComponent("case01.png"), to: masks.appendingPathComponent("z.png"))
        var options = model.options(output: scratch.url.appendingPathComponent("out"), images: false)
        options.maskDirectory = nil
        options.maskFolder = masks.path
        options.sampleCount = 2
        _ = try SampleMany.run(options)
        #expect(files(in: options.output.samplesMany(2)) == ["manifest.json", "masks", "z.png", "z_2.png"])
    }

    @Test func twoChannelImagesAreWrittenAsNPY() throws {
        let run = scratch.url.appendingPathComponent("two-channel")
        try saveUntrainedModel(in: run, imageChannels: 2, card: ModelCard(mdformer: nil, numSegmentationClasses: 3, numImageChannels: 2))
        var options = model.options(output: run, images: false)
        options.checkpointDirectory = run.path
        options.sampleCount = 2
        _ = try SampleMany.run(options)
        let folder = options.output.samplesMany(2)
        #expect(files(in: folder) == ["case00.npy", "case01.npy", "manifest.json", "masks"])
        let image = try decoded(folder.appendingPathComponent("case00.npy")).samples
        #expect(image.shape == [2, TinyRun.size, TinyRun.size] && image.dtype == .float32)
        #expect(image.min().item >= 0 && image.max().item <= 1)
    }

    @Test func unconditionalModelsNeedNoData() throws {
        let run = scratch.url.appendingPathComponent("unguided")
        try saveUntrainedModel(in: run, imageChannels: 1, card: ModelCard(mdformer: nil, numSegmentationClasses: 0))
        let options = EvaluationOptions(checkpointDirectory: run.path, outputDirectory: run.path, evalBatchSize: 2,
                                        sampleCount: 3, sampler: .ddim, inferenceSteps: 2)
        _ = try SampleMany.run(options)
        let folder = options.output.samplesMany(3)
        #expect(files(in: folder) == ["0000.png", "0001.png", "0002.png", "manifest.json"])
    }
}
