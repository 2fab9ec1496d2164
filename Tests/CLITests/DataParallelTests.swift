import Foundation
import TestSupport
import Testing
import Torch

/// Multi-process training through the real binary: real processes, real Gloo on 127.0.0.1.
@Suite(.serialized) struct DataParallelTests {
    let scratch = TemporaryFolder()
    static let learningRate = 1e-3

    init() throws { try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data")) }

    /// A tiny guided model with mask ablation (6 training images: a batch of 4, then one of 2).
    func flags(batch: Int, epochs: Int = 2, _ extra: [String] = []) -> [String] {
        ["--mode", "train", "--model_type", "ddim", "--img_size", "\(TinyRun.size)", "--img_dir", "data/img",
         "--seg_dir", "data/mask", "--segmentation_guided", "--num_segmentation_classes", "3", "--use_ablated_segmentations",
         "--train_batch_size", "\(batch)", "--eval_batch_size", "2", "--num_epochs", "\(epochs)",
         "--block_out_channels", "32,64", "--layers_per_block", "1", "--num_inference_steps", "2",
         "--save_image_epochs", "1", "--save_model_epochs", "1", "--lr_warmup_steps", "1",
         "--learning_rate", "\(Self.learningRate)", "--threads", "1", "--dist_timeout", "10"] + extra
    }

    func text(_ path: String) -> String {
        (try? String(contentsOf: scratch.url.appendingPathComponent(path), encoding: .utf8)) ?? ""
    }

    func weights(_ run: String) throws -> [String: [Float]] {
        try Safetensors.load(scratch.url.appendingPathComponent("\(run)/unet/diffusion_pytorch_model.safetensors").path)
            .mapValues { $0.scalars(as: Float.self) }
    }

    /// 2 ranks x batch 2 take the steps of 1 process x batch 4: same data, noise, timesteps and
    /// ablation per sample, gradients averaged. Adam turns the rounding noise of gradients that are
    /// zero in exact arithmetic (biases before a GroupNorm) into steps of up to the learning rate,
    /// as changing the thread count does; everything else agrees to fp32 rounding.
    @Test func twoRanksTakeTheStepsOfOneProcessOnTheCombinedBatches() throws {
        let parallel = try SegMaDiffBinary.run(["launch", "--nproc_per_node", "2", "--"]
            + flags(batch: 2, ["--output_dir", "parallel", "--dist_bucket_mb", "0.05"]), in: scratch.url)
        #expect(parallel.status == 0, "\(parallel.stderr)")
        #expect(parallel.stdout.contains("trained 2 epochs (4 steps on 2 processes)"), "\(parallel.stdout)")
        let single = try SegMaDiffBinary.run(flags(batch: 4, ["--output_dir", "single"]), in: scratch.url)
        #expect(single.status == 0, "\(single.stderr)")

        // Both ranks hold the same weights (checked by the run at each checkpoint).
        #expect(text("parallel/logs/train.log").contains("step 4: the weights of all 2 ranks agree"))
        // The same losses and gradient norms (of the mean over the 4 samples), as far as the log shows them.
        let losses = { (run: String) in self.text("\(run)/logs/train.log").split(separator: "\n").filter { $0.contains(" loss ") }.map { $0.split(separator: " ").dropFirst().joined(separator: " ") } }
        #expect(losses("parallel") == losses("single"))
        #expect(losses("single").count == 2 && losses("single").allSatisfy { $0.contains("grad_norm") })

        let a = try weights("parallel"), b = try weights("single")
        #expect(a.keys.sorted() == b.keys.sorted())
        var differences: [Float] = []
        for (key, values) in a { differences += zip(values, b[key]!).map { abs($0 - $1) } }
        differences.sort()
        let median = differences[differences.count / 2], p95 = differences[differences.count * 95 / 100]
        #expect(median < 1e-7, "median difference \(median)")
        #expect(p95 < 1e-6, "95th percentile difference \(p95)")
        #expect(differences.last! <= Float(2 * Self.learningRate * 4), "largest difference \(differences.last!)")
        let state = text("parallel/training_state/state.json")
        #expect(state.contains("\"world_size\" : 2") && state.contains("\"global_batch_size\" : 4"), "\(state)")
    }

    /// A rank killed mid-run makes the other stop with a one-line error, not hang.
    @Test func aKilledRankEndsTheOtherWithAnError() throws {
        let port = try freeLoopbackPort()
        func start(rank: Int) throws -> (Process, Pipe, Pipe) {
            try SegMaDiffBinary.start(flags(batch: 2, epochs: 10_000, ["--output_dir", "killed", "--save_image_epochs", "1000", "--save_model_epochs", "1000", "--dist_timeout", "5"]),
                                      in: scratch.url, environment: ["MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "\(port)", "WORLD_SIZE": "2", "RANK": "\(rank)"])
        }
        let (survivor, _, survivorErr) = try start(rank: 0)
        let (victim, _, _) = try start(rank: 1)
        let log = scratch.url.appendingPathComponent("killed/logs/train.log")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, survivor.isRunning, ((try? String(contentsOf: log, encoding: .utf8)) ?? "").isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(survivor.isRunning)
        kill(victim.processIdentifier, SIGKILL)
        let killed = Date()
        let stderr = String(decoding: survivorErr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        survivor.waitUntilExit()
        #expect(Date().timeIntervalSince(killed) < 15)
        #expect(survivor.terminationStatus == 2)
        let error = stderr.split(separator: "\n").filter { $0.hasPrefix("segmadiff: error:") }
        #expect(error.count == 1, "\(stderr)")
        #expect(error.first?.contains("rank 0 of 2") == true && error.first?.contains("--dist_timeout") == true, "\(stderr)")
    }

    /// `launch` stops the other ranks when one dies, and reports it.
    @Test func launchStopsTheOthersWhenOneRankDies() throws {
        let (launcher, _, err) = try SegMaDiffBinary.start(["launch", "--nproc_per_node", "2", "--grace_period", "5", "--"]
            + flags(batch: 2, epochs: 10_000, ["--output_dir", "launched", "--save_image_epochs", "1000", "--save_model_epochs", "1000"]), in: scratch.url)
        let log = scratch.url.appendingPathComponent("launched/logs/train.log")
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, launcher.isRunning, ((try? String(contentsOf: log, encoding: .utf8)) ?? "").isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let children = Self.children(of: launcher.processIdentifier)
        #expect(children.count == 2)
        // Children start in rank order.
        if let rank1 = children.sorted().last { kill(rank1, SIGKILL) }
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        launcher.waitUntilExit()
        #expect(launcher.terminationStatus != 0)
        #expect(stderr.contains("segmadiff launch: rank 1 exited with status 137"), "\(stderr)")
        #expect(children.allSatisfy { kill($0, 0) != 0 }, "a rank is still running")
    }

    /// eval_many on 2 processes writes the same files as one process.
    @Test func evalManyShardsItsImagesAcrossRanks() throws {
        let trained = try SegMaDiffBinary.run(flags(batch: 4, epochs: 1, ["--output_dir", "model"]), in: scratch.url)
        #expect(trained.status == 0, "\(trained.stderr)")
        func sample(_ output: String, launch: Bool) throws -> SegMaDiffBinary.Result {
            let evalFlags = ["--mode", "eval_many", "--checkpoint_dir", "model", "--output_dir", output, "--model_type", "ddim",
                             "--img_size", "\(TinyRun.size)", "--seg_dir", "data/mask", "--segmentation_guided",
                             "--num_segmentation_classes", "3", "--num_inference_steps", "2", "--eval_batch_size", "1",
                             "--eval_sample_size", "3", "--threads", "1", "--dist_timeout", "10"]
            return try SegMaDiffBinary.run(launch ? ["launch", "--nproc_per_node", "2", "--"] + evalFlags : evalFlags, in: scratch.url)
        }
        let parallel = try sample("parallel", launch: true)
        #expect(parallel.status == 0, "\(parallel.stderr)")
        #expect(parallel.stdout.contains("3 written by 2 processes"), "\(parallel.stdout)")
        let single = try sample("single", launch: false)
        #expect(single.status == 0, "\(single.stderr)")
        let names = try FileManager.default.contentsOfDirectory(atPath: scratch.url.appendingPathComponent("single/samples_many_3").path)
            .filter { $0.hasSuffix(".png") }
        #expect(names.count == 3)
        for name in names + names.map({ "masks/" + $0 }) {
            let a = try Data(contentsOf: scratch.url.appendingPathComponent("parallel/samples_many_3/\(name)"))
            let b = try Data(contentsOf: scratch.url.appendingPathComponent("single/samples_many_3/\(name)"))
            #expect(a == b, "\(name)")
        }
        let manifest = text("parallel/samples_many_3/manifest.json")
        #expect(names.allSatisfy { manifest.contains("\"\($0)\"") }, "\(manifest)")
    }

    @Test func aHalfSetEnvironmentIsAUserError() throws {
        let result = try SegMaDiffBinary.run(flags(batch: 2, ["--output_dir", "half"]), in: scratch.url,
                                             environment: ["WORLD_SIZE": "2", "RANK": "0"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("segmadiff: error: WORLD_SIZE=2 needs MASTER_ADDR"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("half").path))
    }

    /// The process ids whose parent is `pid`.
    static func children(of pid: Int32) -> [Int32] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task -> [Int32] in
            let list = (try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/children", encoding: .utf8)) ?? ""
            return list.split(separator: " ").compactMap { Int32($0) }
        }
    }
}
