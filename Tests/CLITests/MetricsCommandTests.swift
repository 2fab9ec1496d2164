import Foundation
import TestSupport
import Testing

/// `segmadiff train-segmenter` then `segmadiff metrics` through the binary, on the tiny disc data set
/// with its real test images standing in for generated ones; and their user errors.
@Suite(.serialized) struct MetricsCommandTests {
    let scratch = TemporaryFolder()

    init() throws {
        try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data"), counts: [.train: 24, .val: 8, .test: 6])
    }

    let trainArguments = ["train-segmenter", "--img_dir", "data/img", "--seg_dir", "data/mask", "--num_segmentation_classes", "3",
                          "--img_size", "\(TinyRun.size)", "--output_dir", "out", "--widths", "8,16,32", "--num_epochs", "25",
                          "--train_batch_size", "8", "--seed", "1"]

    /// gen/NAME.png with gen/masks/NAME.png, as eval_many writes them.
    func writeGenerated() throws {
        let files = FileManager.default
        try files.createDirectory(at: scratch.url.appendingPathComponent("gen/masks"), withIntermediateDirectories: true)
        for name in try files.contentsOfDirectory(atPath: scratch.url.appendingPathComponent("data/img/test").path) {
            try files.copyItem(at: scratch.url.appendingPathComponent("data/img/test/\(name)"), to: scratch.url.appendingPathComponent("gen/\(name)"))
            try files.copyItem(at: scratch.url.appendingPathComponent("data/mask/all/test/\(name)"),
                               to: scratch.url.appendingPathComponent("gen/masks/\(name)"))
        }
    }

    func expectUserError(_ arguments: [String], mentions parts: [String], nothingAt path: String) throws {
        let result = try SegMaDiffBinary.run(arguments, in: scratch.url)
        #expect(result.status == 2, "\(arguments): status \(result.status) \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("segmadiff: error: "), "\(result.stderr)")
        for part in parts { #expect(lines.first?.contains(part) == true, "\(result.stderr) should mention \(part)") }
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent(path).path))
    }

    @Test func trainSegmenterThenMetrics() throws {
        let trained = try SegMaDiffBinary.run(trainArguments, in: scratch.url)
        #expect(trained.status == 0, "\(trained.stderr)")
        // The accuracy printed is the test split's; the val split only chose the epoch.
        #expect(trained.stdout.contains("test Dice") && trained.stdout.contains("on 6 test images"), "\(trained.stdout)")
        #expect(!trained.stdout.contains("val Dice 0"), "\(trained.stdout)")
        for file in ["segmenter.json", "segmenter.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("out/segmenter/\(file)").path))
        }
        // Training again into the same folder needs --overwrite.
        let again = try SegMaDiffBinary.run(trainArguments, in: scratch.url)
        #expect(again.status == 2 && again.stderr.contains("--overwrite"), "\(again.stderr)")

        try writeGenerated()
        let scored = try SegMaDiffBinary.run(["metrics", "--segmenter", "out/segmenter", "--generated", "gen", "--real", "data/img/test"],
                                             in: scratch.url)
        #expect(scored.status == 0, "\(scored.stderr)")
        #expect(scored.stdout.contains("mean") && scored.stdout.contains("FID") && scored.stdout.contains("KID"), "\(scored.stdout)")
        // KID is the headline; FID is withheld for 6 images of 32-d features, with the reason.
        let kidLine = try #require(scored.stdout.range(of: "KID")), fidLine = try #require(scored.stdout.range(of: "FID"))
        #expect(kidLine.lowerBound < fidLine.lowerBound)
        #expect(scored.stdout.contains("n/a: FID needs more images than feature dimensions"), "\(scored.stdout)")
        let data = try Data(contentsOf: scratch.url.appendingPathComponent("gen/metrics.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let dice = try #require(json["dice"] as? [String: Any])
        #expect(try #require(dice["mean"] as? Double) > 0.6)
        #expect(json["generated_images"] as? Int == 6 && json["real_images"] as? Int == 6)
        #expect(json["fid"] is NSNull && (json["fid_note"] as? String)?.contains("full-rank") == true)
        #expect(try #require(json["kid"] as? Double) <= 0)
        #expect((json["histogram"] as? [String: Any])?["wasserstein"] as? Double == 0)

        // --json elsewhere, no --real: the distances are null.
        let plain = try SegMaDiffBinary.run(["metrics", "--segmenter", "out", "--generated", "gen", "--json", "dice.json"], in: scratch.url)
        #expect(plain.status == 0, "\(plain.stderr)")
        let other = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.url.appendingPathComponent("dice.json"))) as? [String: Any])
        #expect(other["fid"] is NSNull && other["real"] is NSNull)

        // A generated image without its mask, and a mask with a label the segmenter does not know.
        try FileManager.default.removeItem(at: scratch.url.appendingPathComponent("gen/masks/case00.png"))
        try expectUserError(["metrics", "--segmenter", "out/segmenter", "--generated", "gen", "--json", "missing.json"],
                            mentions: ["case00.png", "no mask"], nothingAt: "missing.json")
        try FileManager.default.copyItem(at: scratch.url.appendingPathComponent("gen/case01.png"),
                                         to: scratch.url.appendingPathComponent("gen/masks/case00.png"))
        try expectUserError(["metrics", "--segmenter", "out/segmenter", "--generated", "gen", "--json", "labels.json"],
                            mentions: ["case00.png", "has label", "0-2"], nothingAt: "labels.json")
    }

    @Test func userErrorsWriteNothing() throws {
        try expectUserError(Array(trainArguments.prefix(7)) + ["--img_size", "18", "--output_dir", "bad", "--widths", "8,16,32"],
                            mentions: ["--img_size 18", "multiple of 4"], nothingAt: "bad")
        try expectUserError(Array(trainArguments.prefix(6)) + ["2", "--img_size", "16", "--output_dir", "bad"],
                            mentions: ["has label 2"], nothingAt: "bad")
        try expectUserError(["metrics", "--segmenter", "nowhere", "--generated", "data/img/test"],
                            mentions: ["nowhere", "train-segmenter"], nothingAt: "data/img/test/metrics.json")
    }
}
