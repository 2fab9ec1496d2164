import Datasets
import Foundation
import ModelCard
import TestSupport
import Testing
import Training

/// The evaluation modes through the real binary: the seed's flags, the subcommands, user errors.
@Suite(.serialized) struct EvalCommandTests {
    let scratch = TemporaryFolder()
    /// The seed's default folder for these flags (no `-ablated` for eval flags, docs/python-reference.md §9 #20).
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

    // MARK: guidance and translation

    @Test func guidanceWorksInEveryModeAndIsRecorded() throws {
        let eval = try SegMaDiffBinary.run(seedFlags(["--mode", "eval", "--img_dir", "data/img", "--eval_mask_removal",
                                                      "--guidance_scale", "2", "--output_dir", "guided", "--checkpoint_dir", Self.seedFolder]), in: scratch.url)
        #expect(eval.status == 0, "\(eval.stderr)")
        #expect(exists("guided/samples/-001.png") && exists("guided/mask_removal.png"))
        #expect(eval.stderr.contains("not trained with --cfg_p_uncond"), "\(eval.stderr)")
        let many = try SegMaDiffBinary.run(seedFlags(["--mode", "eval_many", "--eval_sample_size", "2", "--sampler", "dpmpp",
                                                      "--guidance_scale", "2", "--guidance_rescale", "0.7", "--output_dir", "guided", "--checkpoint_dir", Self.seedFolder]), in: scratch.url)
        #expect(many.status == 0, "\(many.stderr)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.url.appendingPathComponent("guided/samples_many_2/manifest.json"))) as! [String: Any]
        #expect(manifest["guidance_scale"] as? Double == 2 && manifest["guidance_rescale"] as? Double == 0.7)
        #expect(manifest["guidance_detail_scale"] as? Double == 0 && manifest["use_clipped_model_output"] == nil)

        // Guided DDIM steps with the noise of the clipped x̂0 unless told otherwise; plain DDIM is the original's step.
        for (flags, folder, clipped) in [(["--guidance_scale", "2"], "ddim-guided", true),
                                         (["--guidance_scale", "2", "--use_clipped_model_output", "false"], "ddim-guided-reference", false),
                                         ([], "ddim-plain", false), (["--use_clipped_model_output", "true"], "ddim-plain-clipped", true)] {
            let run = try SegMaDiffBinary.run(seedFlags(["--mode", "eval_many", "--eval_sample_size", "1", "--sampler", "ddim",
                                                         "--num_inference_steps", "2", "--output_dir", folder, "--checkpoint_dir", Self.seedFolder] + flags),
                                              in: scratch.url)
            #expect(run.status == 0, "\(run.stderr)")
            let settings = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.url.appendingPathComponent("\(folder)/samples_many_1/manifest.json"))) as! [String: Any]
            #expect((settings["use_clipped_model_output"] as? Bool ?? false) == clipped, "\(folder)")
        }
    }

    func pixels(_ path: String) throws -> [UInt8] {
        try PixelCodec.decode(Data(contentsOf: scratch.url.appendingPathComponent(path))).samples.bytes()
    }

    func translate(strength: String, output: String) throws -> SegMaDiffBinary.Result {
        try SegMaDiffBinary.run(["translate", "--checkpoint_dir", Self.seedFolder, "--images", "data/img/test", "--masks", "data/mask/all/test",
                                 "--strength", strength, "--output_dir", output, "--num_inference_steps", "2", "--eval_batch_size", "2",
                                 "--threads", "1"], in: scratch.url)
    }

    /// Strength 0 gives the images back (8-bit in, 8-bit out, same size: exactly), with the masks
    /// used and a manifest naming each source image.
    @Test func translationAtStrengthZeroReturnsTheImages() throws {
        let result = try translate(strength: "0", output: "kept")
        #expect(result.status == 0, "\(result.stderr)")
        for name in ["case00.png", "case01.png"] {
            #expect(try pixels("kept/translated_0.0/\(name)") == pixels("data/img/test/\(name)"), "\(name)")
            #expect(try pixels("kept/translated_0.0/masks/\(name)") == pixels("data/mask/all/test/\(name)"), "\(name)")
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.url.appendingPathComponent("kept/translated_0.0/manifest.json"))) as! [String: Any]
        let images = manifest["images"] as! [[String: Any]]
        #expect(images.count == 2 && images.allSatisfy { ($0["source_image"] as? String)?.hasSuffix("data/img/test/\($0["file"]!)") == true })
    }

    /// Strength 1 starts from each image's own noise, the noise eval_many starts that image from.
    @Test func translationAtStrengthOneEqualsSampling() throws {
        let result = try translate(strength: "1", output: "noise")
        #expect(result.status == 0, "\(result.stderr)")
        let many = try SegMaDiffBinary.run(seedFlags(["--mode", "eval_many", "--eval_sample_size", "2", "--output_dir", "noise", "--checkpoint_dir", Self.seedFolder]), in: scratch.url)
        #expect(many.status == 0, "\(many.stderr)")
        for name in ["case00.png", "case01.png"] {
            #expect(try pixels("noise/translated_1.0/\(name)") == pixels("noise/samples_many_2/\(name)"), "\(name)")
        }
        let middle = try translate(strength: "0.5", output: "noise")
        #expect(middle.status == 0, "\(middle.stderr)")
        #expect(try pixels("noise/translated_0.5/case00.png") != pixels("data/img/test/case00.png"))
    }

    @Test func evalModeTranslatesTheTestImages() throws {
        let result = try SegMaDiffBinary.run(seedFlags(["--mode", "eval", "--img_dir", "data/img", "--translate", "--trans_noise_level", "0.3",
                                                        "--output_dir", "translated", "--checkpoint_dir", Self.seedFolder]), in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(exists("translated/samples/-001.png") && exists("translated/samples/-001_orig.png"))
        let noImages = try SegMaDiffBinary.run(seedFlags(["--mode", "eval", "--translate", "--output_dir", "nothing", "--checkpoint_dir", Self.seedFolder]), in: scratch.url)
        #expect(noImages.status == 2 && noImages.stderr.contains("--img_dir"), "\(noImages.stderr)")
    }

    @Test func translationWithoutAMaskForAnImageIsOneLine() throws {
        try FileManager.default.createDirectory(at: scratch.url.appendingPathComponent("few"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: scratch.url.appendingPathComponent("data/mask/all/test/case00.png"),
                                         to: scratch.url.appendingPathComponent("few/case00.png"))
        let result = try SegMaDiffBinary.run(["translate", "--checkpoint_dir", Self.seedFolder, "--images", "data/img/test", "--masks", "few",
                                              "--output_dir", "missing"], in: scratch.url)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("case01.png") && lines[0].contains("no mask named"), "\(result.stderr)")
        #expect(!exists("missing"))
    }
}
