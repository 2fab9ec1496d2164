import Datasets
import Evaluation
import Foundation
import ModelCard
import TestSupport
import Testing
import Torch
import Training

/// `segmadiff synthesize` on the shared tiny model: the data set's layout, its manifest (from which
/// every mask is re-made), splits, resuming, dropped samples and the nnU-Net export.
@Suite(.serialized) struct DatasetSynthesisTests {
    let model = TrainedTinyModel.shared
    let scratch = TemporaryFolder()

    func options(_ output: String, count: Int?, edits: [String] = [], valFraction: Double = 0, nnunet: String? = nil) throws -> SynthesisOptions {
        // The shared model's evaluation settings: --seg_dir data/mask, DDIM 2 steps, batch 4, seed 3.
        let sampling = model.options(output: scratch.url.appendingPathComponent(output), images: false)
        return SynthesisOptions(sampling: sampling, split: .train, count: count, edits: try edits.map(MaskEdit.init(parsing:)),
                                valFraction: valFraction, nnunetFolder: nnunet.map { scratch.url.appendingPathComponent($0).path })
    }

    func manifest(_ folder: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json"))) as! [String: Any]
    }

    func labels(_ url: URL) throws -> LabelMap { LabelMap(try decoded(url).labelPlane()!) }

    @Test func writesSegmadiffsLayoutAndAManifestThatRemakesEveryMask() throws {
        let edits = ["flip:p=0.5", "affine:rotate=10,scale=0.1,shift=0.05,p=0.5", "grow:class=2,px=0..1"]
        let options = try options("synth", count: 8, edits: edits, valFraction: 0.34)
        let summary = try DatasetSynthesis.run(options)
        let folder = options.sampling.output.root
        #expect(summary.written + summary.dropped == 8 && summary.skipped == 0)
        #expect(files(in: folder) == [".lock", "images", "manifest.json", "masks"])
        #expect(files(in: folder.appendingPathComponent("images")) == ["train", "val"])
        #expect(files(in: folder.appendingPathComponent("masks")) == ["all"])

        let record = try manifest(folder)
        #expect(record["made_by"] as? String == "segmadiff synthesize" && record["count"] as? Int == 8)
        #expect(record["edits"] as? [String] == edits.map { try! MaskEdit(parsing: $0).spec })
        #expect(record["mask_split"] as? String == "train" && record["val_fraction"] as? Double == 0.34)
        let images = record["images"] as! [[String: Any]]
        #expect(images.count == summary.written)
        #expect(Set(images.map { $0["index"] as! Int }).count == images.count)
        var sourcesBySplit: [String: Set<String>] = [:]
        for image in images {
            let split = image["split"] as! String, file = image["file"] as! String
            let maskFiles = image["mask_files"] as! [String]
            #expect(file.hasPrefix("images/\(split)/") && maskFiles == ["masks/all/\(split)/" + (file as NSString).lastPathComponent])
            #expect(try decoded(folder.appendingPathComponent(file)).samples.shape == [1, TinyRun.size, TinyRun.size])
            #expect(image["sampler"] as? String == "ddim" && image["steps"] as? Int == 2 && image["guidance_scale"] as? Double == 0)
            sourcesBySplit[split, default: []].insert(image["source_mask"] as! String)
            // The recorded source, edits and seed re-make the mask that was written.
            let source = try labels(URL(fileURLWithPath: (image["source_mask_files"] as! [String])[0]))
            let recorded = (image["edits"] as! [[String: Any]]).map { try! MaskEdit(parsing: $0["edit"] as! String) }
            let seed = (image["edit_seed"] as! NSNumber).uint64Value
            let remade = MaskEditChain(recorded).apply(to: [source], seed: seed)
            #expect(remade.maps[0] == (try labels(folder.appendingPathComponent(maskFiles[0]))), "\(file)")
            #expect(Set(remade.maps[0].labels).isSubset(of: [0, 1, 2]))
        }
        // Val holds round(0.34 x 6) = 2 source masks, and no source mask feeds both splits.
        #expect(sourcesBySplit["val"]?.count == 2)
        #expect(sourcesBySplit["train", default: []].isDisjoint(with: sourcesBySplit["val", default: []]))
        #expect(images.contains { ($0["edits"] as! [[String: Any]]).contains { $0["applied"] as? Bool == true && $0["edit"] as? String == "flip:axis=x,p=0.5" } })

        // A diffusion model or a segmenter trains on it as it is.
        let dataset = try Dataset.open(DatasetOptions(imageDirectory: folder.appendingPathComponent("images").path,
                                                      maskDirectory: folder.appendingPathComponent("masks").path, splits: [.train, .val],
                                                      segmentationClasses: 3, imageSize: TinyRun.size))
        #expect(dataset.samples(.train).count + dataset.samples(.val).count == summary.written)
    }

    @Test func aSecondRunSkipsFinishedPairsAndRemakesAMissingOneExactly() throws {
        let options = try options("resume", count: 5, edits: ["elastic:alpha=1,grid=4"])
        let first = try DatasetSynthesis.run(options)
        #expect(first.written == 5)
        let folder = options.sampling.output.root
        let again = try DatasetSynthesis.run(options)
        #expect(again.written == 0 && again.skipped == 5)
        let image = folder.appendingPathComponent("images/train/case03.png")
        let original = try Data(contentsOf: image)
        try FileManager.default.removeItem(at: image)
        let resumed = try DatasetSynthesis.run(options)
        #expect(resumed.written == 1 && resumed.skipped == 4)
        #expect(try Data(contentsOf: image) == original)
        #expect((try manifest(folder)["images"] as! [[String: Any]]).count == 5)
        // Settings that change what the pairs are refused, rather than mixed in.
        for change in [try self.options("resume", count: 5, edits: ["elastic:alpha=2,grid=4"]), try self.options("resume", count: 6, edits: ["elastic:alpha=1,grid=4"])] {
            #expect(throws: UsageError.self) { try DatasetSynthesis.run(change) }
        }
    }

    @Test func samplesWhoseEditsEmptyAClassAreDroppedAndCounted() throws {
        let options = try options("dropped", count: 3, edits: ["shrink:class=2,px=6"])
        let summary = try DatasetSynthesis.run(options)
        #expect(summary.dropped == 3 && summary.written == 0)
        let folder = options.sampling.output.root
        #expect(files(in: folder.appendingPathComponent("images/train")).isEmpty)
        let record = try manifest(folder)
        let dropped = record["dropped"] as! [[String: Any]]
        #expect(record["dropped_count"] as? Int == 3 && dropped.count == 3)
        #expect(dropped.allSatisfy { $0["reason"] as? String == "class 2 is empty after shrink:class=2,px=6,p=1" })
        #expect((record["images"] as! [[String: Any]]).isEmpty)
    }

    @Test func writesAnNNUNetRawDataSet() throws {
        let options = try options("nn", count: 4, valFraction: 0.34, nnunet: "raw/Dataset501_Tiny")
        let summary = try DatasetSynthesis.run(options)
        let raw = scratch.url.appendingPathComponent("raw/Dataset501_Tiny")
        #expect(summary.nnunetFolder?.path == raw.path)
        let stems = ["case00", "case01", "case02", "case03"]
        #expect(files(in: raw) == ["dataset.json", "imagesTr", "labelsTr"])
        #expect(files(in: raw.appendingPathComponent("imagesTr")) == stems.map { "\($0)_0000.png" })
        #expect(files(in: raw.appendingPathComponent("labelsTr")) == stems.map { "\($0).png" })
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: raw.appendingPathComponent("dataset.json"))) as! [String: Any]
        #expect(json["numTraining"] as? Int == 4 && json["file_ending"] as? String == ".png")
        #expect(json["channel_names"] as? [String: String] == ["0": "image"])
        #expect(json["labels"] as? [String: Int] == ["background": 0, "class_1": 1, "class_2": 2])
        let record = try manifest(options.sampling.output.root)
        #expect((record["nnunet"] as? [String: Any])?["folder"] as? String == raw.path)
        // Each case is the pair of segmadiff's layout, whichever split it went to.
        let images = record["images"] as! [[String: Any]]
        for image in images {
            let stem = ((image["file"] as! String) as NSString).lastPathComponent.replacingOccurrences(of: ".png", with: "")
            let folder = options.sampling.output.root
            #expect(try Data(contentsOf: raw.appendingPathComponent("imagesTr/\(stem)_0000.png")) == Data(contentsOf: folder.appendingPathComponent(image["file"] as! String)))
            #expect(try labels(raw.appendingPathComponent("labelsTr/\(stem).png")) == labels(folder.appendingPathComponent((image["mask_files"] as! [String])[0])))
        }
    }

    @Test func badNNUNetNamesAndForeignFoldersAreRefusedBeforeAnythingIsWritten() throws {
        let badName = try options("bad-name", count: 2, nnunet: "raw/Synth")
        #expect(throws: UsageError.self) { try DatasetSynthesis.run(badName) }
        #expect(!FileManager.default.fileExists(atPath: badName.sampling.output.root.path))
        let occupied = scratch.url.appendingPathComponent("occupied")
        try FileManager.default.createDirectory(at: occupied, withIntermediateDirectories: true)
        try Data("mine".utf8).write(to: occupied.appendingPathComponent("notes.txt"))
        #expect(throws: UsageError.self) { try DatasetSynthesis.run(try options("occupied", count: 2)) }
        #expect(files(in: occupied) == ["notes.txt"], "nothing added, not even the lock")
        let wrongClass = try options("wrong-class", count: 2, edits: ["grow:class=3"])
        #expect(throws: UsageError.self) { try DatasetSynthesis.run(wrongClass) }
    }

    @Test func npyImagesGetNPYMasksUnderTheSameNameAndNoNNUNetCopy() throws {
        let run = scratch.url.appendingPathComponent("two-channel")
        try saveUntrainedModel(in: run, imageChannels: 2, card: ModelCard(mdformer: nil, numSegmentationClasses: 3, numImageChannels: 2))
        var options = try options("npy", count: 2)
        options.sampling.checkpointDirectory = run.path
        _ = try DatasetSynthesis.run(options)
        let folder = options.sampling.output.root
        #expect(files(in: folder.appendingPathComponent("images/train")) == ["case00.npy", "case01.npy"])
        #expect(files(in: folder.appendingPathComponent("masks/all/train")) == ["case00.npy", "case01.npy"])
        let source = try labels(model.data.appendingPathComponent("mask/all/train/case01.png"))
        #expect(try labels(folder.appendingPathComponent("masks/all/train/case01.npy")) == source)
        // The layout reads back as a two-channel data set.
        _ = try Dataset.open(DatasetOptions(imageDirectory: folder.appendingPathComponent("images").path,
                                            maskDirectory: folder.appendingPathComponent("masks").path, splits: [.train],
                                            imageChannels: 2, segmentationClasses: 3, imageSize: TinyRun.size))
        options.nnunetFolder = scratch.url.appendingPathComponent("raw/Dataset504_Npy").path
        #expect(throws: UsageError.self) { try DatasetSynthesis.run(options) }
    }

    @Test func anyFolderOfMasksIsASource() throws {
        var options = try options("folder", count: nil)
        options.sampling.maskDirectory = nil
        options.sampling.maskFolder = model.testMasks.path
        let summary = try DatasetSynthesis.run(options)
        #expect(summary.written == 2)
        #expect(files(in: options.sampling.output.root.appendingPathComponent("images/train")) == ["case00.png", "case01.png"])
        #expect(try manifest(options.sampling.output.root)["mask_split"] is NSNull)
    }
}
