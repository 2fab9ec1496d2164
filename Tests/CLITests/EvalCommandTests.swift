import Foundation
import ModelCard
import TestSupport
import Testing
import Training

/// The evaluation modes through the real binary: the seed's flags, the subcommands, user errors.
@Suite(.serialized) struct EvalCommandTests {
    let scratch = TemporaryFolder()
    /// The seed's default folder for these flags (no `-ablated` for eval flags, SPEC 9 #20).
    static let seedFolder = "ddim-breast_mri-\(TinyRun.size)-segguided"

    init() throws {
        let data = scratch.url.appendingPathComponent("data")
        try TinyRun.writeDataset(in: data)
        _ = try Trainer(TinyRun.options(data: data, output: scratch.url.appendingPathComponent(Self.seedFolder), epochs: 1)).run()
    }

    /// The seed's flags for the tiny model's folder; `extra` adds or overrides.
    func seedFlags(_ extra: [String]) -> [String] {
        ["--model_type", "ddim", "--img_size", "\(TinyRun.size)", "--block_out_channels", "32,64", "--seg_dir", "data/mask",
         "--segmentation_guided", "--num_segmentation_classes", "3", "--num_inference_steps", "2", "--eval_batch_size", "2",
         "--threads", "1"] + extra
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent(path).path) }

    @Test func evalWithTheSeedsFlagsFindsTheModelAndDrawsTheFigure() throws {
        let result = try SegMaDiffBinary.run(seedFlags(["--mode", "eval", "--img_dir", "data/img", "--eval_mask_removal"]), in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        for file in ["samples/-001.png", "samples/-001_cond_seg_all.png", "samples/-001_orig.png", "mask_removal.png", "mask_removal.pdf"] {
            #expect(exists("\(Self.seedFolder)/\(file)"), "\(file)")
        }
        #expect(!exists("\(Self.seedFolder)-ablated"))
    }

    @Test func evalManyModeAndSubcommandWriteExactlyN() throws {
        let mode = try SegMaDiffBinary.run(seedFlags(["--mode", "eval_many", "--eval_sample_size", "3"]), in: scratch.url)
        #expect(mode.status == 0, "\(mode.stderr)")
        let folder = "\(Self.seedFolder)/samples_many_3"
        #expect(["case00.png", "case01.png", "case00_2.png", "masks/case00_2.png", "manifest.json"].allSatisfy { exists("\(folder)/\($0)") })
        #expect(mode.stdout.contains("3 written"))
        let again = try SegMaDiffBinary.run(["eval_many"] + seedFlags(["--eval_sample_size", "3"]), in: scratch.url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("0 written (3 already there)"), "\(again.stdout)")
    }

    @Test func sampleFromAFolderOfMasksWithAnotherSampler() throws {
        let result = try SegMaDiffBinary.run(
            ["sample", "--checkpoint_dir", Self.seedFolder, "--masks", "data/mask/all/test", "--output_dir", "sampled",
             "--eval_sample_size", "2", "--sampler", "dpmpp", "--num_inference_steps", "2", "--threads", "1"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(exists("sampled/samples_many_2/case00.png") && exists("sampled/samples_many_2/masks/case01.png"))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.url.appendingPathComponent("sampled/samples_many_2/manifest.json"))) as! [String: Any]
        #expect(manifest["sampler"] as? String == "dpmpp")
    }

    @Test func missingCheckpointIsOneLineNamingTheFile() throws {
        let result = try SegMaDiffBinary.run(["sample", "--checkpoint_dir", "nowhere", "--masks", "data/mask/all/test", "--output_dir", "out"], in: scratch.url)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("segmadiff: error: ") && lines[0].contains("nowhere/unet/config.json"), "\(result.stderr)")
        #expect(!exists("out"))
    }

    @Test func channelMismatchIsOneLineNamingTheFile() throws {
        let unet = scratch.url.appendingPathComponent("\(Self.seedFolder)/unet")
        var card = try ModelCard.read(from: unet.appendingPathComponent(ModelCard.fileName))
        card.maskEncoding = .onehot
        try card.encoded().write(to: unet.appendingPathComponent(ModelCard.fileName))
        let result = try SegMaDiffBinary.run(seedFlags(["--mode", "eval", "--output_dir", "out", "--checkpoint_dir", Self.seedFolder]), in: scratch.url)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("unet/config.json") && lines[0].contains("mask channels"), "\(result.stderr)")
        #expect(!exists("out"))
    }
}
