import Foundation
import TestSupport
import Testing

/// `--val_every_epochs`: the validation loss is the same measurement at every evaluation, and
/// OUTPUT/best is the checkpoint where the logged loss was lowest (or, with `--val_segmenter`, the
/// Dice of sampled images highest), loadable by the eval modes.
@Suite(.serialized) struct BestCheckpointTests {
    let scratch = TemporaryFolder()

    init() throws { try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data")) }

    func flags(_ extra: [String], epochs: Int) -> [String] {
        ["--mode", "train", "--model_type", "ddim", "--img_size", "\(TinyRun.size)", "--img_dir", "data/img",
         "--seg_dir", "data/mask", "--segmentation_guided", "--num_segmentation_classes", "3",
         "--train_batch_size", "4", "--eval_batch_size", "2", "--num_epochs", "\(epochs)",
         "--block_out_channels", "32,64", "--layers_per_block", "1", "--num_inference_steps", "2",
         "--save_image_epochs", "100", "--save_model_epochs", "100", "--lr_warmup_steps", "1", "--threads", "1",
         "--val_every_epochs", "1"] + extra
    }

    /// (epoch, step, val_loss) per evaluation, from logs/validation.jsonl.
    func history(_ run: String) throws -> [(epoch: Int, step: Int, loss: Double)] {
        let text = try String(contentsOf: scratch.url.appendingPathComponent("\(run)/logs/validation.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (row["epoch"] as! Int, row["step"] as! Int, row["val_loss"] as! Double)
        }
    }

    func json(_ path: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.url.appendingPathComponent(path))) as! [String: Any]
    }

    /// Weights that do not move (a learning rate of 1e-30 changes no float32 weight) must score the same at every evaluation: the
    /// noise and timesteps are fixed, not drawn from the training stream.
    @Test func theValidationLossOfUnchangedWeightsIsTheSameEveryTime() throws {
        let result = try SegMaDiffBinary.run(flags(["--output_dir", "frozen", "--learning_rate", "1e-30"], epochs: 3), in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        let losses = try history("frozen").map(\.loss)
        #expect(losses.count == 3)
        #expect(Set(losses).count == 1, "\(losses)")
    }

    /// Over a run that is resumed half-way, best.json and the best link name the step whose logged
    /// loss is the lowest; pruning (one checkpoint kept) leaves that folder, and the eval modes load it.
    @Test func bestIsTheCheckpointWithTheLowestLoggedLoss() throws {
        let first = try SegMaDiffBinary.run(flags(["--output_dir", "run", "--learning_rate", "3e-3"], epochs: 2), in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        let resumed = try SegMaDiffBinary.run(flags(["--output_dir", "run", "--learning_rate", "3e-3", "--resume"], epochs: 5), in: scratch.url)
        #expect(resumed.status == 0, "\(resumed.stderr)")

        let rows = try history("run")
        #expect(rows.map(\.epoch) == [1, 2, 3, 4, 5])
        let lowest = rows.min { $0.loss < $1.loss }!
        let record = try json("run/best.json")
        #expect(record["step"] as? Int == lowest.step && record["epoch"] as? Int == lowest.epoch, "\(record) vs \(rows)")
        #expect(record["value"] as? Double == lowest.loss)
        let card = try json("run/best/unet/segmadiff.json")
        #expect(card["global_step"] as? Int == lowest.step, "\(card)")
        let latest = try json("run/unet/segmadiff.json")
        #expect(latest["global_step"] as? Int == rows.last!.step)

        let eval = try SegMaDiffBinary.run(["--mode", "eval_many", "--checkpoint_dir", "run/best", "--seg_dir", "data/mask",
                                            "--eval_sample_size", "2", "--eval_batch_size", "2", "--num_inference_steps", "2",
                                            "--threads", "1"], in: scratch.url)
        #expect(eval.status == 0, "\(eval.stderr)")
    }

    /// A segmenter trained on the same data (once per suite instance; a few seconds at 16 px).
    func trainSegmenter() throws {
        guard !FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("seg/segmenter").path) else { return }
        let result = try SegMaDiffBinary.run(["train-segmenter", "--img_dir", "data/img", "--seg_dir", "data/mask",
                                              "--num_segmentation_classes", "3", "--img_size", "\(TinyRun.size)", "--num_epochs", "3",
                                              "--widths", "8,16", "--output_dir", "seg", "--threads", "1"], in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
    }

    /// (epoch, step, val_dice or nil) per evaluation.
    func diceHistory(_ run: String) throws -> [(epoch: Int, step: Int, dice: Double?)] {
        let text = try String(contentsOf: scratch.url.appendingPathComponent("\(run)/logs/validation.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            #expect(row["val_loss"] is Double, "\(row)")
            #expect(row.keys.contains("val_dice"), "\(row)")
            return (row["epoch"] as! Int, row["step"] as! Int, row["val_dice"] as? Double)
        }
    }

    /// With a segmenter, every validation logs the Dice of images sampled on val masks; best/ is
    /// the step where it was highest. Frozen weights draw the same images, so score the same.
    @Test func withASegmenterBestIsTheCheckpointWithTheHighestLoggedDice() throws {
        try trainSegmenter()
        let frozen = try SegMaDiffBinary.run(flags(["--output_dir", "dice-frozen", "--learning_rate", "1e-30", "--val_segmenter", "seg",
                                                    "--val_samples", "2"], epochs: 2), in: scratch.url)
        #expect(frozen.status == 0, "\(frozen.stderr)")
        let same = try diceHistory("dice-frozen").map(\.dice)
        #expect(same.count == 2 && same[0] == same[1], "\(same)")

        let run = try SegMaDiffBinary.run(flags(["--output_dir", "dice", "--learning_rate", "3e-3", "--val_segmenter", "seg",
                                                 "--val_samples", "2"], epochs: 4), in: scratch.url)
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try diceHistory("dice").filter { $0.dice != nil }
        #expect(!rows.isEmpty)
        // The first of equal values stays best: only a strictly higher Dice replaces it.
        let highest = rows.reduce(rows[0]) { $1.dice! > $0.dice! ? $1 : $0 }
        let record = try json("dice/best.json")
        #expect(record["metric"] as? String == "val_dice" && record["lower_is_better"] as? Bool == false, "\(record)")
        #expect(record["step"] as? Int == highest.step && record["value"] as? Double == highest.dice, "\(record) vs \(rows)")
        let card = try json("dice/best/unet/segmadiff.json")
        #expect(card["global_step"] as? Int == highest.step)

        // Resumed to choose by the loss instead: the Dice record is not compared with a loss, the
        // next validation takes the link over.
        let switched = try SegMaDiffBinary.run(flags(["--output_dir", "dice", "--learning_rate", "3e-3", "--resume",
                                                      "--best_metric", "val_loss"], epochs: 5), in: scratch.url)
        #expect(switched.status == 0, "\(switched.stderr)")
        let after = try json("dice/best.json")
        #expect(after["metric"] as? String == "val_loss" && after["epoch"] as? Int == 5, "\(after)")
    }

    @Test func aSegmenterThatCannotReadTheRunIsRefusedBeforeTraining() throws {
        try trainSegmenter()
        let noValidation = try SegMaDiffBinary.run(flags(["--output_dir", "refused", "--val_every_epochs", "0", "--val_segmenter", "seg"], epochs: 1), in: scratch.url)
        #expect(noValidation.status != 0 && noValidation.stderr.contains("--val_every_epochs"), "\(noValidation.stderr)")
        let noSegmenter = try SegMaDiffBinary.run(flags(["--output_dir", "refused", "--best_metric", "val_dice"], epochs: 1), in: scratch.url)
        #expect(noSegmenter.status != 0 && noSegmenter.stderr.contains("--val_segmenter"), "\(noSegmenter.stderr)")
        let otherClasses = try SegMaDiffBinary.run(flags(["--output_dir", "refused", "--val_segmenter", "seg", "--num_segmentation_classes", "4"], epochs: 1), in: scratch.url)
        #expect(otherClasses.status != 0 && otherClasses.stderr.contains("3 classes") && otherClasses.stderr.split(separator: "\n").count == 1,
                "\(otherClasses.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("refused/unet").path))
    }

    @Test func aFreshStartForgetsTheOldBest() throws {
        let first = try SegMaDiffBinary.run(flags(["--output_dir", "again"], epochs: 1), in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("again/best.json").path))
        let plain = try SegMaDiffBinary.run(flags(["--output_dir", "again", "--overwrite", "--val_every_epochs", "0"], epochs: 1), in: scratch.url)
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("again/best.json").path))
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("again/best").path))
    }

    /// The overwritten run's logs move to logs/earlier/<time>/ whole; the new run's logs hold only its own.
    @Test func aFreshStartSetsTheEarlierRunsLogsAside() throws {
        let first = try SegMaDiffBinary.run(flags(["--output_dir", "logs-again"], epochs: 1), in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        let logs = scratch.url.appendingPathComponent("logs-again/logs")
        let files = FileManager.default
        let before = try files.contentsOfDirectory(atPath: logs.path).sorted()
        #expect(before.contains("validation.jsonl") && before.contains("train.log") && before.contains { $0.hasPrefix("events.out.tfevents") })
        let again = try SegMaDiffBinary.run(flags(["--output_dir", "logs-again", "--overwrite", "--val_every_epochs", "0"], epochs: 1), in: scratch.url)
        #expect(again.status == 0, "\(again.stderr)")
        let earlier = try files.contentsOfDirectory(atPath: logs.appendingPathComponent("earlier").path)
        #expect(earlier.count == 1)
        let setAside = try files.contentsOfDirectory(atPath: logs.appendingPathComponent("earlier/\(earlier[0])").path).sorted()
        #expect(setAside == before, "\(setAside) against \(before)")
        let now = try files.contentsOfDirectory(atPath: logs.path)
        #expect(!now.contains("validation.jsonl"))
        #expect(now.filter { $0.hasPrefix("events.out.tfevents") }.count == 1)
        let text = try String(contentsOf: logs.appendingPathComponent("train.log"), encoding: .utf8)
        #expect(text.components(separatedBy: "memory: this run needs").count == 2, "\(text)")
    }
}
