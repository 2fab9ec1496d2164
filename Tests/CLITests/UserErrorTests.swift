import Foundation
import TestSupport
import Testing

/// Every user mistake: exit status 2, one line naming what is wrong and the fix, nothing written.
@Suite struct UserErrorTests {
    let scratch = TemporaryFolder()

    init() throws { try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data")) }

    func base(_ extra: [String]) -> [String] {
        ["--img_size", "\(TinyRun.size)", "--img_dir", "data/img", "--seg_dir", "data/mask", "--segmentation_guided",
         "--num_segmentation_classes", "3", "--block_out_channels", "32,64", "--output_dir", "out"] + extra
    }

    func expectUserError(_ arguments: [String], mentions parts: [String]) throws {
        let result = try SegMaDiffBinary.run(arguments, in: scratch.url)
        #expect(result.status == 2, "\(arguments): status \(result.status)")
        let first = result.stderr.split(separator: "\n").first.map(String.init) ?? ""
        #expect(first.hasPrefix("segmadiff: error: "), "\(result.stderr)")
        for part in parts { #expect(first.contains(part), "\(first) should mention \(part)") }
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("out").path))
    }

    @Test func unknownModelType() throws {
        try expectUserError(base(["--model_type", "DDXM"]), mentions: ["--model_type", "DDXM"])
    }

    @Test func unknownMode() throws {
        try expectUserError(base(["--mode", "sample_all"]), mentions: ["--mode"])
    }

    @Test func imageSizeTheLevelsCannotHalve() throws {
        try expectUserError(base(["--img_size", "18", "--block_out_channels", "32,64,64"]), mentions: ["--img_size 18", "multiple of 4"])
    }

    @Test func guidedWithoutClassCount() throws {
        try expectUserError(["--segmentation_guided", "--seg_dir", "data/mask", "--img_dir", "data/img"],
                            mentions: ["--num_segmentation_classes"])
    }

    @Test func labelAboveTheClassCount() throws {
        try expectUserError(base(["--num_segmentation_classes", "2"]), mentions: ["has label 2", "--num_segmentation_classes"])
    }

    @Test func missingImageFolder() throws {
        try expectUserError(base(["--img_dir", "nowhere"]), mentions: ["nowhere"])
    }

    @Test func unknownFlag() throws {
        try expectUserError(base(["--learning-rate", "1"]), mentions: ["--learning-rate"])
    }
}
