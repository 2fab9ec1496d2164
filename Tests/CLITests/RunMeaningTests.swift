import Foundation
import TestSupport
import Testing

/// A resumed or evaluated model keeps the meaning it was trained with: every flag that would change
/// it is refused in one line naming the flag, the saved value and the given one, and nothing of the
/// run changes; flags left out take the saved values.
@Suite(.serialized) struct RunMeaningTests {
    let scratch = TemporaryFolder()
    static let run = "run"

    init() throws {
        try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data"))
        let first = try SegMaDiffBinary.run(flags(["--output_dir", Self.run, "--prediction_type", "v_prediction",
                                                   "--mask_encoding", "onehot"]), in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
    }

    /// A tiny guided DDIM model of one epoch; `extra` adds or overrides.
    func flags(_ extra: [String], epochs: Int = 1) -> [String] {
        ["--mode", "train", "--model_type", "ddim", "--img_size", "\(TinyRun.size)", "--img_dir", "data/img",
         "--seg_dir", "data/mask", "--segmentation_guided", "--num_segmentation_classes", "3",
         "--train_batch_size", "4", "--eval_batch_size", "2", "--num_epochs", "\(epochs)",
         "--block_out_channels", "32,64", "--layers_per_block", "1", "--num_inference_steps", "2",
         "--save_image_epochs", "1", "--save_model_epochs", "1", "--lr_warmup_steps", "1", "--threads", "1"] + extra
    }

    /// The files that say what the run is, and how far it got.
    func runFiles() throws -> [Data] {
        try ["unet/config.json", "unet/segmadiff.json", "scheduler/scheduler_config.json", "training_state/state.json"].map {
            try Data(contentsOf: scratch.url.appendingPathComponent("\(Self.run)/\($0)"))
        }
    }

    /// Each field of the run's description, given against the saved value on --resume.
    static let contradictions: [(flags: [String], saved: String)] = [
        (["--img_size", "32"], "16"),
        (["--num_img_channels", "3"], "1"),
        (["--block_out_channels", "64,64"], "32,64"),
        (["--layers_per_block", "2"], "1"),
        (["--mdformer", "none"], "segmadiff"),
        (["--prediction_type", "epsilon"], "v_prediction"),
        (["--model_type", "DDPM"], "DDIM"),
        (["--mask_encoding", "scaled"], "onehot"),
        (["--normalization", "minmax"], "none"),
        (["--segmentation_channel_mode", "multi"], "single"),
        (["--num_segmentation_classes", "4"], "3"),
        (["--cfg_p_uncond", "0.2"], "0"),
    ]

    @Test(arguments: contradictions.indices)
    func aResumeFlagThatChangesTheMeaningIsRefused(_ index: Int) throws {
        let (given, saved) = Self.contradictions[index]
        let before = try runFiles()
        let result = try SegMaDiffBinary.run(flags(["--output_dir", Self.run, "--resume"] + given, epochs: 2), in: scratch.url)
        #expect(result.status == 2, "\(given): \(result.stderr)")
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("\(given[0]) \(given[1]) contradicts the saved \(saved)"), "\(result.stderr)")
        #expect(try runFiles() == before, "\(given) changed the run")
    }

    @Test func aChangedSetOfMaskFoldersIsRefused() throws {
        let masks = scratch.url.appendingPathComponent("data/mask")
        try FileManager.default.copyItem(at: masks.appendingPathComponent("all"), to: masks.appendingPathComponent("extra"))
        defer { try? FileManager.default.removeItem(at: masks.appendingPathComponent("extra")) }
        let result = try SegMaDiffBinary.run(flags(["--output_dir", Self.run, "--resume"], epochs: 2), in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("contradict the saved seg types all"), "\(result.stderr)")
    }

    /// Left out, the meaning-bearing flags take the saved values: the run goes on predicting v
    /// with one-hot masks, and says so in the files it saves.
    @Test func flagsLeftOutTakeTheSavedValues() throws {
        let bare = ["--mode", "train", "--img_dir", "data/img", "--seg_dir", "data/mask", "--train_batch_size", "4",
                    "--eval_batch_size", "2", "--num_epochs", "2", "--num_inference_steps", "2", "--threads", "1",
                    "--output_dir", Self.run, "--resume"]
        let result = try SegMaDiffBinary.run(bare, in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("trained 2 epochs"), "\(result.stdout)")
        let scheduler = try String(contentsOf: scratch.url.appendingPathComponent("\(Self.run)/scheduler/scheduler_config.json"), encoding: .utf8)
        #expect(scheduler.contains(#""prediction_type": "v_prediction""#) && scheduler.contains("DDIMScheduler"))
        let card = try String(contentsOf: scratch.url.appendingPathComponent("\(Self.run)/unet/segmadiff.json"), encoding: .utf8)
        #expect(card.contains(#""mask_encoding" : "onehot""#), "\(card)")
    }

    /// Sampling reads the model's meaning from its checkpoint; a flag that contradicts it is refused.
    @Test(arguments: [(["--mask_encoding", "seed"], "onehot"), (["--prediction_type", "epsilon"], "v_prediction"),
                      (["--img_size", "32"], "16"), (["--normalization", "minmax"], "none")])
    func anEvaluationFlagThatChangesTheMeaningIsRefused(_ given: [String], _ saved: String) throws {
        let result = try SegMaDiffBinary.run(
            ["sample", "--checkpoint_dir", Self.run, "--masks", "data/mask/all/test", "--output_dir", "sampled",
             "--eval_sample_size", "1", "--num_inference_steps", "1", "--threads", "1"] + given, in: scratch.url)
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(given[0]) \(given[1]) contradicts the saved \(saved)"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("sampled/samples_many_1").path))
    }
}

/// A checkpoint of the Python original has no segmadiff.json: its MDFormer is read off its weights,
/// so `--mdformer` is checked against what it holds and sampling builds the model it was trained as.
@Suite struct PythonCheckpointMeaningTests {
    let scratch = TemporaryFolder()

    init() throws {
        try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data"))
        let run = scratch.url.appendingPathComponent("python-run")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.own.appendingPathComponent("segmadiff-tiny/unet"),
                                         to: run.appendingPathComponent("unet"))
    }

    func sample(_ extra: [String]) throws -> SegMaDiffBinary.Result {
        try SegMaDiffBinary.run(
            ["sample", "--checkpoint_dir", "python-run", "--masks", "data/mask/all/test", "--output_dir", "sampled",
             "--num_segmentation_classes", "4", "--eval_sample_size", "1", "--num_inference_steps", "1",
             "--threads", "1"] + extra, in: scratch.url)
    }

    @Test func itsMDFormerIsTheOneItsWeightsHold() throws {
        let agreeing = try sample(["--mdformer", "reference"])
        #expect(agreeing.status == 0, "\(agreeing.stderr)")
        let contradicting = try sample(["--mdformer", "none"])
        #expect(contradicting.status == 2)
        #expect(contradicting.stderr.contains("--mdformer none contradicts the saved reference"), "\(contradicting.stderr)")
    }
}
