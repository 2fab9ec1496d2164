import Foundation
import TestSupport
import Testing
import Torch

/// The seed's command line, run through the real binary on a tiny generated data set.
@Suite(.serialized) struct TrainCommandTests {
    let scratch = TemporaryFolder()

    init() throws { try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data")) }

    /// The seed's flags for a tiny guided DDIM model; `extra` adds or overrides.
    func flags(_ extra: [String] = [], epochs: Int = 1) -> [String] {
        ["--mode", "train", "--model_type", "ddim", "--img_size", "\(TinyRun.size)", "--img_dir", "data/img",
         "--seg_dir", "data/mask", "--segmentation_guided", "--num_segmentation_classes", "3",
         "--train_batch_size", "4", "--eval_batch_size", "2", "--num_epochs", "\(epochs)",
         "--block_out_channels", "32,64", "--layers_per_block", "1", "--num_inference_steps", "2",
         "--save_image_epochs", "1", "--save_model_epochs", "1", "--lr_warmup_steps", "1", "--threads", "1"] + extra
    }

    @Test func trainsThenResumesToTheTotalEpochCount() throws {
        let first = try SegMaDiffBinary.run(flags(["--output_dir", "run"]), in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("trained 1 epochs (2 steps)"))
        let again = try SegMaDiffBinary.run(flags(["--output_dir", "run", "--resume"], epochs: 2), in: scratch.url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("trained 2 epochs (4 steps)"))
        let samples = try FileManager.default.contentsOfDirectory(atPath: scratch.url.appendingPathComponent("run/samples").path)
        #expect(samples.contains("0001.png"))
    }

    /// The loop's ops get the whole team the command asked for: validating the data runs work items
    /// on the main thread with a team of one, and a team left at one would halve the speed.
    @Test func trainingLoopRunsOnEveryConfiguredThread() throws {
        let result = try SegMaDiffBinary.run(flags(["--output_dir", "threads", "--threads", "2"]), in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        let log = try String(contentsOf: scratch.url.appendingPathComponent("threads/logs/train.log"), encoding: .utf8)
        #expect(log.contains("intra-op threads in the training loop: 2 of 2"), "\(log)")
    }

    /// A learning rate that blows the weights up ends the run at the first NaN or infinite loss
    /// (the third step here), with one line; the checkpoint of the first epoch stays as it was.
    @Test func aNonFiniteLossStopsTheRunBeforeSaving() throws {
        let result = try SegMaDiffBinary.run(flags(["--output_dir", "diverged", "--learning_rate", "1e30"], epochs: 3), in: scratch.url)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("the loss became NaN at step 3") && result.stderr.contains("lower --learning_rate"), "\(result.stderr)")
        let state = scratch.url.appendingPathComponent("diverged/training_state")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: state.appendingPathComponent("state.json"))) as! [String: Any]
        #expect(record["global_step"] as? Int == 2)
        let weights = try Safetensors.load(scratch.url.appendingPathComponent("diverged/unet/diffusion_pytorch_model.safetensors").path)
        #expect(weights.values.allSatisfy { $0.isFinite().all().item > 0 })
    }

    /// A run the machine cannot hold is refused before its first step, with the estimate and the fix.
    @Test func aRunTooBigForTheMachineIsRefusedWithItsEstimate() throws {
        let result = try SegMaDiffBinary.run(flags(["--output_dir", "huge", "--img_size", "2048", "--train_batch_size", "4096"]), in: scratch.url)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stderr.contains("this run needs about") && result.stderr.contains("try a smaller --train_batch_size or --img_size"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("huge/unet").path))
    }

    @Test func defaultOutputFolderFollowsTheSeedsNaming() throws {
        let result = try SegMaDiffBinary.run(flags(["--use_ablated_segmentations"]), in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        let name = "ddim-breast_mri-\(TinyRun.size)-segguided-ablated"
        #expect(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("\(name)/unet/config.json").path))
    }

    /// Ctrl-C during training stops after the current step and leaves a loadable training state.
    @Test func interruptSavesALoadableState() throws {
        let (process, _, err) = try SegMaDiffBinary.start(flags(["--output_dir", "interrupted"], epochs: 500), in: scratch.url)
        let log = scratch.url.appendingPathComponent("interrupted/logs/train.log")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOf: log, encoding: .utf8)) ?? "").isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
        }
        process.interrupt()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(stderr)")
        let state = scratch.url.appendingPathComponent("interrupted/training_state")
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: state.appendingPathComponent("state.json"))) as! [String: Any]
        #expect((record["global_step"] as? Int ?? 0) > 0)
        let tensors = try Safetensors.load(state.appendingPathComponent("tensors.safetensors").path)
        #expect(tensors["rng.noise"] != nil)
    }
}
