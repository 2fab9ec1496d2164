import Datasets
import Evaluation
import Foundation
import Testing
import TestSupport
import Torch
import Training

/// The segmenter learns the tiny disc data set (labels 0-2) well enough to judge masks, comes back
/// from its folder unchanged, and then scores generated images end to end.
@Suite(.serialized) struct SegmenterTrainingTests {
    let root: URL
    var data: URL { root.appendingPathComponent("data") }
    var output: URL { root.appendingPathComponent("out") }

    init() throws {
        root = try MetricsScratch.folder()
        try TinyRun.writeDataset(in: data, counts: [.train: 24, .val: 8, .test: 8])
    }

    func options(seed: UInt64) -> SegmenterTrainingOptions {
        SegmenterTrainingOptions(
            imageDirectory: data.appendingPathComponent("img").path, maskDirectory: data.appendingPathComponent("mask").path,
            outputDirectory: output.path, classes: 3, imageSize: TinyRun.size, widths: [8, 16, 32], epochs: 25,
            batchSize: 8, seed: seed, verbose: false)
    }

    @Test func anotherSeedAlsoReachesGoodTestDice() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let summary = try SegmenterTrainer.train(options(seed: 2))
        #expect(try #require(summary.testDice) > 0.6)
    }

    /// The accuracy is measured on test, the split that chose nothing: moving the test split away
    /// leaves the val-chosen epoch as it was and no test Dice at all, never the val Dice in its place.
    @Test func accuracyComesFromTheTestSplitNeverFromVal() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        var short = options(seed: 4)
        short.epochs = 6
        let withTest = try SegmenterTrainer.train(short)
        #expect(withTest.testCount == 8)
        let test = try #require(withTest.testDice)
        #expect(test != withTest.validationDice)
        let saved = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf:
            withTest.folder.appendingPathComponent(Segmenter.configFile))) as? [String: Any])
        #expect(abs(try #require(saved["test_dice"] as? Double) - test) < 1e-12)
        #expect((saved["test_dice_per_class"] as? [Any])?.count == 2)
        #expect(saved["best_epoch"] as? Int == withTest.bestEpoch && saved["test_images"] as? Int == 8)

        // Without a test split (here: test images but no test masks): the same epoch is chosen, and
        // no accuracy is claimed.
        try FileManager.default.moveItem(at: data.appendingPathComponent("mask/all/test"), to: root.appendingPathComponent("held-away"))
        short.overwrite = true
        let withoutTest = try SegmenterTrainer.train(short)
        #expect(withoutTest.bestEpoch == withTest.bestEpoch && withoutTest.validationDice == withTest.validationDice)
        #expect(withoutTest.testDice == nil && withoutTest.testCount == 0 && withoutTest.testDicePerClass.isEmpty)
    }

    @Test func trainsSavesLoadsAndScoresGeneratedImages() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let summary = try SegmenterTrainer.train(options(seed: 1))
        #expect(try #require(summary.testDice) > 0.6)
        #expect(summary.testDicePerClass.allSatisfy { ($0 ?? 0) > 0.5 })
        #expect(summary.folder.path == output.appendingPathComponent("segmenter").path)
        let files = try FileManager.default.contentsOfDirectory(atPath: summary.folder.path).sorted()
        #expect(files == [Segmenter.configFile, Segmenter.weightsFile])
        // No staging folders are left beside it.
        #expect(try FileManager.default.contentsOfDirectory(atPath: output.path) == ["segmenter"])

        let segmenter = try Segmenter.load(from: summary.folder)
        #expect(segmenter.config.classes == 3 && segmenter.config.imageSize == TinyRun.size)
        #expect(segmenter.config.widths == [8, 16, 32] && segmenter.config.featureDimension == 32)
        #expect(segmenter.config.validationDice == summary.validationDice && segmenter.config.testDice == summary.testDice)
        let saved = try Data(contentsOf: summary.folder.appendingPathComponent(Segmenter.configFile))
        let json = try #require(try JSONSerialization.jsonObject(with: saved) as? [String: Any])
        #expect(json["num_segmentation_classes"] as? Int == 3 && json["img_size"] as? Int == 16)
        #expect(json["intensity_jitter"] as? Bool == true)
        // The output folder above it loads too.
        let fromParent = try Segmenter.load(from: output)
        let probe = Tensor.rand([2, 1, 16, 16], generator: Generator(seed: 9)) * 2 - 1
        #expect(segmenter.segment(probe).eq(fromParent.segment(probe)).all().item == 1)

        // A second training into the same folder is refused before it writes anything.
        let before = try Data(contentsOf: summary.folder.appendingPathComponent(Segmenter.weightsFile))
        #expect(throws: UsageError.self) { try SegmenterTrainer.train(options(seed: 3)) }
        #expect(try Data(contentsOf: summary.folder.appendingPathComponent(Segmenter.weightsFile)) == before)

        try scoresGeneratedImages(segmenter: summary.folder)
    }

    /// Real test images posing as generated ones, with their own masks: high Dice, KID ~ 0 against
    /// themselves, and no FID (8 images, 32-d features); with shuffled masks Dice drops; darkened,
    /// the distances grow.
    func scoresGeneratedImages(segmenter: URL) throws {
        let test = data.appendingPathComponent("img/test")
        let generated = try MetricsScratch.generatedFolder(from: data, in: root.appendingPathComponent("gen"))
        let report = try GenerationMetrics.compute(MetricsOptions(segmenter: segmenter.path, generated: generated.path, real: test.path))
        #expect(report.generatedCount == 8 && report.realCount == 8)
        #expect(try #require(report.diceMean) > 0.6)
        #expect(report.dicePerImage.count == 8)
        // 8 images cannot give a full-rank 32 x 32 covariance: no FID, and a note saying why.
        #expect(report.fid == nil)
        #expect(try #require(report.fidNote).contains("32-d features; 8 generated and 8 real images"))
        // The unbiased estimate of a set against itself is just below 0: its cross term keeps the
        // diagonal k(x, x) that the within-set terms leave out.
        let selfKID = try #require(report.kid)
        #expect(selfKID <= 0)
        #expect(report.histogramWasserstein == 0 && report.histogramJensenShannon == 0)

        let written = try Data(contentsOf: generated.appendingPathComponent("metrics.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: written) as? [String: Any])
        let dice = try #require(json["dice"] as? [String: Any])
        #expect((dice["per_class"] as? [String: Any])?.keys.sorted() == ["1", "2"])
        // JSON keeps 15 significant digits.
        #expect(abs(try #require(dice["mean"] as? Double) - report.diceMean!) < 1e-12)
        #expect((json["dice_per_image"] as? [String: Any])?.count == 8)
        #expect(json["fid"] is NSNull && json["fid_note"] is String)
        #expect(json["kid"] is Double && json["feature_dimension"] as? Int == 32)
        #expect(json["generated_images"] as? Int == 8 && json["real_images"] as? Int == 8)

        // Each image judged against another image's mask.
        let names = try FileManager.default.contentsOfDirectory(atPath: test.path).sorted()
        let shuffled = root.appendingPathComponent("shuffled-masks")
        try FileManager.default.createDirectory(at: shuffled, withIntermediateDirectories: true)
        for (index, name) in names.enumerated() {
            let other = names[(index + 1) % names.count]
            try FileManager.default.copyItem(at: data.appendingPathComponent("mask/all/test/\(other)"),
                                             to: shuffled.appendingPathComponent(name))
        }
        let mismatched = try GenerationMetrics.compute(MetricsOptions(
            segmenter: segmenter.path, generated: generated.path, masks: shuffled.path,
            json: root.appendingPathComponent("mismatched.json").path))
        #expect(try #require(mismatched.diceMean) < report.diceMean! - 0.2)
        #expect(mismatched.kid == nil && mismatched.fidNote == nil && mismatched.realCount == nil)

        // Darker "generated" images are further from the real ones.
        let dark = root.appendingPathComponent("dark")
        try FileManager.default.createDirectory(at: dark, withIntermediateDirectories: true)
        for name in names {
            let image = try ImageFile.read(test.appendingPathComponent(name).path).samples
            try ImageFile.writePNG((image.to(.float32) * 0.5).rounded().to(.uint8), to: dark.appendingPathComponent(name).path)
        }
        let darker = try GenerationMetrics.compute(MetricsOptions(
            segmenter: segmenter.path, generated: dark.path, masks: generated.appendingPathComponent("masks").path,
            real: test.path))
        #expect(try #require(darker.kid) > 0)
        #expect(try #require(darker.histogramWasserstein) > 0.1)
        #expect(try #require(darker.histogramJensenShannon) > 0.1)

        // The same anatomy with other grey levels (gamma 1.4, then 0.8x) still reads as its masks: the
        // segmenter was trained with intensity jitter, so Dice scores anatomy, not calibration.
        let reshaded = root.appendingPathComponent("reshaded")
        try FileManager.default.createDirectory(at: reshaded, withIntermediateDirectories: true)
        for name in names {
            let unit = try ImageFile.read(test.appendingPathComponent(name).path).samples.to(.float32) / 255
            try ImageFile.writePNG((unit.pow(1.4) * 0.8 * 255).rounded().to(.uint8), to: reshaded.appendingPathComponent(name).path)
        }
        let reshadedReport = try GenerationMetrics.compute(MetricsOptions(
            segmenter: segmenter.path, generated: reshaded.path, masks: generated.appendingPathComponent("masks").path))
        #expect(try #require(reshadedReport.diceMean) > report.diceMean! - 0.1)
    }
}

enum MetricsScratch {
    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("segmadiff-metrics-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// An eval_many-style folder made of the real test images and their own masks.
    static func generatedFolder(from data: URL, in folder: URL) throws -> URL {
        let masks = folder.appendingPathComponent("masks")
        try FileManager.default.createDirectory(at: masks, withIntermediateDirectories: true)
        let test = data.appendingPathComponent("img/test")
        for name in try FileManager.default.contentsOfDirectory(atPath: test.path) {
            try FileManager.default.copyItem(at: test.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            try FileManager.default.copyItem(at: data.appendingPathComponent("mask/all/test/\(name)"), to: masks.appendingPathComponent(name))
        }
        return folder
    }
}
