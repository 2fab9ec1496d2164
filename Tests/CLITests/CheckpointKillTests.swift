import Datasets
import Foundation
import TestSupport
import Testing
import Torch

/// Checkpoints commit as one (CheckpointWriter): a process killed at any moment, or stopped by a
/// full disk, leaves a folder that `--resume` continues from its last complete checkpoint, and
/// the resumed run ends bit-identical to one never interrupted.
@Suite(.serialized) struct CheckpointKillTests {
    let scratch = TemporaryFolder()
    static let epochs = 4

    init() throws { try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data")) }

    /// The smallest model the CLI takes, on 6 training images: 2 steps an epoch, a checkpoint each.
    func flags(_ output: String, ema: Double, extra: [String] = []) -> [String] {
        ["--mode", "train", "--model_type", "ddim", "--img_size", "\(TinyRun.size)", "--img_dir", "data/img",
         "--seg_dir", "data/mask", "--segmentation_guided", "--num_segmentation_classes", "3",
         "--train_batch_size", "4", "--eval_batch_size", "2", "--num_epochs", "\(Self.epochs)",
         "--block_out_channels", "32,32", "--layers_per_block", "1", "--mdformer", "none",
         "--num_inference_steps", "1", "--save_image_epochs", "100", "--save_model_epochs", "1",
         "--lr_warmup_steps", "1", "--threads", "1", "--ema_decay", "\(ema)", "--output_dir", output] + extra
    }

    func url(_ path: String) -> URL { scratch.url.appendingPathComponent(path) }

    func weights(_ output: String) throws -> Data {
        try Data(contentsOf: url("\(output)/unet/diffusion_pytorch_model.safetensors"))
    }

    /// The step the committed checkpoint records, in each of its parts (they must agree).
    func committedStep(_ output: String) throws -> Int? {
        // Through `latest`, the commit point: a kill after the commit and before the fixed links
        // stand leaves a checkpoint that the next start completes.
        let state = url("\(output)/latest/training_state/state.json")
        guard FileManager.default.fileExists(atPath: state.path) else { return nil }
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: state)) as! [String: Any]
        let card = try JSONSerialization.jsonObject(with: Data(contentsOf: url("\(output)/latest/unet/segmadiff.json"))) as! [String: Any]
        let step = record["global_step"] as! Int
        #expect(card["global_step"] as? Int == step, "\(output): unet and training_state of different steps")
        return step
    }

    @Test(arguments: [0.0, 0.9]) func killedAtRandomMomentsResumesToTheSameWeights(ema: Double) throws {
        let reference = "reference-\(ema)"
        let clean = try SegMaDiffBinary.run(flags(reference, ema: ema), in: scratch.url)
        #expect(clean.status == 0, "\(clean.stderr)")
        let expected = try weights(reference)
        let entries = try FileManager.default.contentsOfDirectory(atPath: url("\(reference)/checkpoints").path)
        #expect(entries == ["step-00000008"], "keeps one checkpoint by default: \(entries)")

        // Kill moments from a fixed seed, spread over a run slowed by the test hook so that most
        // land inside a checkpoint write (about 9 files x 25 ms each, 4 checkpoints).
        var random = SplitMix64(seed: ema == 0 ? 1 : 2)
        let kills = 15
        var killed = 0, midCheckpoint = 0, withoutCheckpoint = 0
        var round = 0
        while killed < kills {
            let output = "killed-\(ema)-\(round)"
            round += 1
            var resume = false
            var lastStep: Int?
            while true {
                let arguments = flags(output, ema: ema, extra: resume ? ["--resume"] : ["--overwrite"])
                if killed < kills {
                    let delay = killed % 4 == 2 ? "0" : "30"
                    let (process, _, err) = try SegMaDiffBinary.start(arguments, in: scratch.url,
                                                                    environment: ["SEGMADIFF_TEST_WRITE_DELAY_MS": delay])
                    // The first kill comes before any checkpoint, so that "none to resume" is seen;
                    // every other one waits for a checkpoint write to begin while an earlier one is
                    // committed, and lands inside it (9 pauses of 30 ms: 7 files and 2 commit steps);
                    // the rest at random moments.
                    let moment = 0.3 + random.unit() * 2.7, inside = random.unit() * 0.27
                    if killed == 0 {
                        Thread.sleep(forTimeInterval: 0.1)
                    } else if killed % 2 == 1 {
                        let deadline = Date().addingTimeInterval(10)
                        while process.isRunning, Date() < deadline, !(writing(output) && committed(output)) { Thread.sleep(forTimeInterval: 0.005) }
                        Thread.sleep(forTimeInterval: inside)
                    } else {
                        Thread.sleep(forTimeInterval: moment)
                    }
                    if process.isRunning {
                        kill(process.processIdentifier, SIGKILL)
                        killed += 1
                    }
                    process.waitUntilExit()
                    if process.terminationReason == .exit {
                        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                        #expect(process.terminationStatus == 0, "\(output): exit \(process.terminationStatus) before the kill: \(stderr)")
                        if process.terminationStatus == 0 { break }
                    }
                } else {
                    let finish = try SegMaDiffBinary.run(arguments, in: scratch.url)
                    #expect(finish.status == 0, "\(output): \(finish.stderr)")
                    break
                }
                if interruptedWrite(output) { midCheckpoint += 1 }
                // After a kill: the committed checkpoint never goes back, and a resume starts from it
                // (or, with none, says so in one line and the run starts again).
                let step = try committedStep(output)
                if let before = lastStep { #expect((step ?? -1) >= before, "\(output): latest went back from \(before) to \(String(describing: step))") }
                lastStep = step
                resume = step != nil
                if step == nil {
                    withoutCheckpoint += 1
                    let refused = try SegMaDiffBinary.run(flags(output, ema: ema, extra: ["--resume"]), in: scratch.url)
                    #expect(refused.status == 2 && refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
                    #expect(refused.stderr.contains("no training state to resume"), "\(refused.stderr)")
                }
            }
            #expect(try weights(output) == expected, "\(output): resumed run ends with other weights than the uninterrupted one")
            #expect(leftovers(output).isEmpty, "\(output): \(leftovers(output))")
            if let resumedAt = try? JSONSerialization.jsonObject(with: Data(contentsOf: url("\(output)/run.json"))) as? [String: Any] {
                #expect(resumedAt["resumed_at"] != nil)
            }
            try FileManager.default.removeItem(at: url(output))
        }
        #expect(killed >= kills)
        // The seeded moments must include kills inside a checkpoint write, not only between them.
        #expect(withoutCheckpoint >= 1)
        #expect(midCheckpoint >= 3, "only \(midCheckpoint) of \(killed) kills landed in a checkpoint write")
        print("kill test, ema \(ema): \(killed) kills in \(round) runs to the end, \(midCheckpoint) inside a checkpoint write, \(withoutCheckpoint) before the first checkpoint")
    }

    /// Whether a checkpoint is being staged.
    func writing(_ output: String) -> Bool {
        ((try? FileManager.default.contentsOfDirectory(atPath: url("\(output)/checkpoints").path)) ?? []).contains { $0.hasSuffix(".partial") }
    }

    func committed(_ output: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: url("\(output)/latest").path)) != nil
    }

    /// Whether the kill left a checkpoint half-written (a staging folder, a link temporary or an
    /// AtomicFile temporary), for the count of such kills.
    func interruptedWrite(_ output: String) -> Bool {
        let manager = FileManager.default
        let staged = ((try? manager.contentsOfDirectory(atPath: url("\(output)/checkpoints").path)) ?? []).contains { $0.hasSuffix(".partial") }
        let links = ["latest", "unet", "scheduler", "training_state", "model_index.json"].contains {
            (try? manager.destinationOfSymbolicLink(atPath: url("\(output)/\($0).new").path)) != nil
        }
        let pruning = ((try? manager.contentsOfDirectory(atPath: url("\(output)/checkpoints").path)) ?? []).count > 1
        return staged || links || pruning
    }

    /// A file size limit (a full disk, as the process sees it) stops a checkpoint half-written: a
    /// clear error, and the previous checkpoint stays in force for --resume.
    @Test func fullDiskLeavesThePreviousCheckpoint() throws {
        let first = try SegMaDiffBinary.run(flags("full", ema: 0.9, extra: ["--num_epochs", "1"]), in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        let weightsSize = try weights("full").count
        let stateSize = try Data(contentsOf: url("full/training_state/tensors.safetensors")).count
        // Between the two: the weights fit, the training state (4 tensors per weight) does not.
        let blocks = (weightsSize + stateSize) / 2 / 1024
        #expect(weightsSize < blocks * 1024 && blocks * 1024 < stateSize)
        // SIGXFSZ would kill the process; ignored, the write fails with EFBIG (an ignored signal stays
        // ignored across exec).
        let command = ([SegMaDiffBinary.url.path] + flags("full", ema: 0.9, extra: ["--num_epochs", "2", "--resume"]))
            .map { "'\($0)'" }.joined(separator: " ")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "trap '' XFSZ; ulimit -f \(blocks); exec \(command)"]
        process.currentDirectoryURL = scratch.url
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 2, "\(stderr)")
        #expect(stderr.contains("tensors.safetensors") && stderr.contains("file size limit"), "\(stderr)")
        #expect(stderr.split(separator: "\n").filter { $0.contains("error") }.count == 1, "\(stderr)")
        #expect(try committedStep("full") == 2)
        #expect(leftovers("full").isEmpty, "the failed write keeps disk space: \(leftovers("full"))")
        let again = try SegMaDiffBinary.run(flags("full", ema: 0.9, extra: ["--num_epochs", "2", "--resume"]), in: scratch.url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("trained 2 epochs (4 steps)"), "\(again.stdout)")
        let partials = try FileManager.default.contentsOfDirectory(atPath: url("full/checkpoints").path).filter { $0.hasSuffix(".partial") }
        #expect(partials.isEmpty)
    }

    /// One process at a time trains into a folder; the lock goes with the process, even killed.
    @Test func aSecondTrainingIntoALockedFolderIsRefused() throws {
        let (holder, _, _) = try SegMaDiffBinary.start(flags("locked", ema: 0, extra: ["--num_epochs", "500"]), in: scratch.url)
        let lock = url("locked/.lock")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? String(contentsOf: lock, encoding: .utf8)) ?? "").isEmpty {
            Thread.sleep(forTimeInterval: 0.05)
        }
        let second = try SegMaDiffBinary.run(flags("locked", ema: 0, extra: ["--overwrite"]), in: scratch.url)
        #expect(second.status == 2)
        #expect(second.stderr.split(separator: "\n").count == 1, "\(second.stderr)")
        #expect(second.stderr.contains("is in use by segmadiff process \(holder.processIdentifier)"), "\(second.stderr)")
        #expect(second.stderr.contains(url("locked").path), "\(second.stderr)")
        // Sampling into it is refused too, once there is a model to sample from.
        while Date() < deadline, !FileManager.default.fileExists(atPath: url("locked/unet/segmadiff.json").path) {
            Thread.sleep(forTimeInterval: 0.05)
        }
        var sampling = flags("locked", ema: 0, extra: ["--mode", "eval_many", "--eval_sample_size", "1"])
        sampling.removeFirst(2)
        let sampler = try SegMaDiffBinary.run(sampling, in: scratch.url)
        #expect(sampler.status == 2 && sampler.stderr.contains("is in use by segmadiff process \(holder.processIdentifier)"), "\(sampler.stderr)")
        kill(holder.processIdentifier, SIGKILL)
        holder.waitUntilExit()
        let third = try SegMaDiffBinary.run(flags("locked", ema: 0, extra: ["--overwrite", "--num_epochs", "1"]), in: scratch.url)
        #expect(third.status == 0, "\(third.stderr)")
    }

    /// Weights of one step beside the optimizer state of another are refused, naming both.
    @Test func resumeRefusesPartsOfDifferentSteps() throws {
        let first = try SegMaDiffBinary.run(flags("mixed", ema: 0, extra: ["--num_epochs", "1"]), in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        let card = url("mixed/unet/segmadiff.json")
        var record = try JSONSerialization.jsonObject(with: Data(contentsOf: card)) as! [String: Any]
        record["global_step"] = 1
        try JSONSerialization.data(withJSONObject: record).write(to: card.resolvingSymlinksInPath())
        let again = try SegMaDiffBinary.run(flags("mixed", ema: 0, extra: ["--num_epochs", "2", "--resume"]), in: scratch.url)
        #expect(again.status == 2)
        #expect(again.stderr.split(separator: "\n").count == 1, "\(again.stderr)")
        #expect(again.stderr.contains("segmadiff.json is from step 1") && again.stderr.contains("state.json from step 2"), "\(again.stderr)")
    }

    /// A folder of the old layout (real unet/, training_state/ ...) resumes, and its first new
    /// checkpoint turns the names into links.
    @Test func oldLayoutIsResumedAndMigrated() throws {
        let first = try SegMaDiffBinary.run(flags("old", ema: 0, extra: ["--num_epochs", "1"]), in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        // Rebuild the old layout: the committed checkpoint's parts copied in place of the links.
        let manager = FileManager.default
        let committed = url("old/latest").resolvingSymlinksInPath()
        for name in ["unet", "scheduler", "training_state", "model_index.json"] {
            try manager.removeItem(at: url("old/\(name)"))
            try manager.copyItem(at: committed.appendingPathComponent(name), to: url("old/\(name)"))
        }
        try manager.removeItem(at: url("old/latest"))
        try manager.removeItem(at: url("old/checkpoints"))
        let again = try SegMaDiffBinary.run(flags("old", ema: 0, extra: ["--num_epochs", "2", "--resume"]), in: scratch.url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("trained 2 epochs (4 steps)"), "\(again.stdout)")
        for name in ["unet", "scheduler", "training_state", "model_index.json"] {
            #expect((try? manager.destinationOfSymbolicLink(atPath: url("old/\(name)").path)) == "latest/\(name)")
        }
        #expect(try manager.contentsOfDirectory(atPath: url("old/checkpoints").path) == ["step-00000004"])
        #expect(try committedStep("old") == 4)
    }
}

extension CheckpointKillTests {
    /// What a crashed write leaves (staging folders, link and AtomicFile temporaries), anywhere in
    /// the folder: a start must have removed it.
    func leftovers(_ output: String) -> [String] {
        let root = url(output).path
        let all = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        return all.filter { path in
            let name = (path as NSString).lastPathComponent
            return name.hasSuffix(".partial") || name.contains(".partial-") || name.hasSuffix(".new")
        }
    }

    /// `--keep_checkpoints K` keeps the newest K step folders; `latest` names the newest.
    @Test func keepsTheNewestCheckpoints() throws {
        let run = try SegMaDiffBinary.run(flags("kept", ema: 0, extra: ["--num_epochs", "3", "--keep_checkpoints", "2"]), in: scratch.url)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: url("kept/checkpoints").path).sorted() == ["step-00000004", "step-00000006"])
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: url("kept/latest").path) == "checkpoints/step-00000006")
    }

    /// A crash while an old-layout folder was being migrated (latest committed, one name still a
    /// real directory, another moved aside but not yet linked) is finished at the next start.
    @Test func interruptedMigrationIsFinishedAtStart() throws {
        let first = try SegMaDiffBinary.run(flags("half", ema: 0, extra: ["--num_epochs", "1"]), in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        let manager = FileManager.default
        let committed = url("half/latest").resolvingSymlinksInPath()
        try manager.removeItem(at: url("half/unet"))
        try manager.copyItem(at: committed.appendingPathComponent("unet"), to: url("half/unet"))
        try manager.removeItem(at: url("half/scheduler"))
        try manager.createDirectory(at: url("half/checkpoints/old-layout"), withIntermediateDirectories: true)
        try manager.copyItem(at: committed.appendingPathComponent("scheduler"), to: url("half/checkpoints/old-layout/scheduler"))
        // And what a crashed write leaves: a staging folder, a link temporary, AtomicFile temporaries.
        try manager.createDirectory(at: url("half/checkpoints/step-00000009.partial/unet"), withIntermediateDirectories: true)
        try manager.createSymbolicLink(atPath: url("half/latest.new").path, withDestinationPath: "checkpoints/step-00000009")
        try Data([1]).write(to: url("half/samples/0000.png.partial-4242"))
        try Data([1]).write(to: url("half/run.json.partial-77"))
        let again = try SegMaDiffBinary.run(flags("half", ema: 0, extra: ["--num_epochs", "2", "--resume"]), in: scratch.url)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("trained 2 epochs (4 steps)"), "\(again.stdout)")
        for name in ["unet", "scheduler"] {
            #expect((try? manager.destinationOfSymbolicLink(atPath: url("half/\(name)").path)) == "latest/\(name)")
        }
        #expect(try manager.contentsOfDirectory(atPath: url("half/checkpoints").path) == ["step-00000004"])
        #expect(leftovers("half").isEmpty, "\(leftovers("half"))")
    }
}

extension SplitMix64 {
    /// Uniform in [0, 1): the seeded kill moments.
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
