import ArgumentParser
import Datasets
import Foundation
import Training

/// `segmadiff demo`: the whole workflow on real brain MRI, with no data from the user. It runs the
/// same commands a user would type (each is printed), so the demo doubles as a worked example.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a brain-MRI data set, train a small model, sample, draw figures and score them.",
        discussion: """
        Data: axial slices of the Colin27 T1 MRI with the AAL atlas grouped into cortex, deep grey \
        matter and cerebellum (Debian's mricron-data, installed when missing and running as root); \
        without it, a synthetic head phantom. The one volume is split into contiguous slabs with unused \
        gaps between train, val and test (data/slices.csv), the scoring segmenter's epoch is chosen on \
        val and its accuracy measured on test, and every score is a mean ± std over --seeds seeds \
        (sampling noise and segmenter training; the diffusion model is trained once unless \
        --retrain_per_seed), written to OUTPUT/results.json.
        """)

    @Option(name: .customLong("output_dir"), help: "Folder for the data, the model and every result.")
    var outputDir = "segmadiff-demo"

    @Option(name: .customLong("img_size"), help: "Training and sampling resolution.")
    var imgSize = 32

    @Option(name: .customLong("num_epochs"), help: "Training epochs (about 7 steps each).")
    var numEpochs = 100

    @Option(name: .customLong("segmenter_epochs"), help: "Training epochs of the scoring segmenter.")
    var segmenterEpochs = 30

    @Option(name: .customLong("cfg_p_uncond"), help: "Train for mask guidance: the fraction of training masks blanked (see `segmadiff main --help`).")
    var cfgPUncond = 0.0

    @Option(name: .customLong("guidance_scale"), help: "Mask guidance strength of the demo's sampling (0: plain conditioning).")
    var guidanceScale = 0.0

    @Option(name: .customLong("seeds"), help: "Seeds to repeat sampling and scoring with; scores are reported as mean ± std.")
    var seeds = 3

    @Option(name: .customLong("seed"), help: "The first seed (the split, the model's training and the first sampling); the others follow it.")
    var seed: UInt64 = 0

    @Flag(name: .customLong("retrain_per_seed"), help: "Also train the diffusion model again for each seed, so the spread includes training (about 5 minutes more per seed).")
    var retrainPerSeed = false

    @Flag(name: .customLong("phantom"), help: "Use the synthetic phantom even when the MRI templates are available.")
    var phantom = false

    @Option(name: .customLong("threads"), help: "CPU threads (default: all cores).")
    var threads: Int?

    func validate() throws { try FlagChecks.check(self) }

    func run() throws {
        let root = URL(fileURLWithPath: outputDir)
        try DemoFolder.claim(root)
        // Per-seed samples continue where a stopped run left off, so an earlier demo's must go.
        try? FileManager.default.removeItem(at: root.appendingPathComponent("seeds"))
        let data = try DemoData.prepare(in: root.appendingPathComponent("data"), size: 2 * imgSize, forcePhantom: phantom, seed: seed)
        print("segmadiff demo: \(data.description)")
        print("segmadiff demo: \(data.split)")
        let firstModel = root.appendingPathComponent("model").path
        let seedList = (0..<seeds).map { seed &+ UInt64($0) }
        let samples = 2 * data.testCount

        try train(data, seed: seed, into: firstModel)
        try step("sample on the held-out masks, with the mask-removal figure", SeedMain.self,
                 ["--mode", "eval", "--eval_mask_removal"] + common(data) + sampling + ["--seed", "\(seed)", "--output_dir", firstModel])

        var results = DemoResults()
        for current in seedList {
            let folder = root.appendingPathComponent("seeds/seed-\(current)")
            var model = firstModel
            if retrainPerSeed && current != seed {
                model = folder.appendingPathComponent("model").path
                try train(data, seed: current, into: model)
            }
            try step("seed \(current): generate one image per held-out mask (twice over)", SeedMain.self,
                     ["--mode", "eval_many", "--eval_sample_size", "\(samples)"] + common(data) + sampling
                     + ["--seed", "\(current)", "--checkpoint_dir", model, "--output_dir", folder.path])
            try step("seed \(current): train the segmenter that scores mask faithfulness (epoch chosen on val, Dice measured on test)",
                     TrainSegmenterCommand.self,
                     ["--img_dir", data.images, "--seg_dir", data.masks, "--num_segmentation_classes", "\(data.classNames.count)",
                      "--img_size", "\(imgSize)", "--num_epochs", "\(segmenterEpochs)", "--seed", "\(current)",
                      "--output_dir", folder.path, "--overwrite"] + threadFlags)
            let generated = folder.appendingPathComponent("samples_many_\(samples)")
            try step("seed \(current): score the samples: Dice against their masks, KID (FID when enough images) and histograms against real test images",
                     MetricsCommand.self, ["--segmenter", folder.appendingPathComponent("segmenter").path, "--generated", generated.path,
                                           "--real", "\(data.images)/test"] + threadFlags)
            results.rows.append(try DemoResults.row(seed: current, segmenter: folder.appendingPathComponent("segmenter"),
                                                    metrics: generated.appendingPathComponent("metrics.json")))
        }

        let varies = retrainPerSeed
            ? "everything after the split: the diffusion model's training, sampling noise and the segmenter's training"
            : "sampling noise and the scoring segmenter's training; the diffusion model is trained once (seed \(seed))"
        let resultsFile = root.appendingPathComponent("results.json")
        try writeJSON(results.json(data: data, varies: varies), to: resultsFile)
        print("""

        segmadiff demo: scores on the test split, \(data.split)
        seeds vary \(varies)
        \(results.table())
        \(seeds < 2 ? "(one seed gives no spread: run with --seeds 3 or more before comparing numbers)\n" : "")
        segmadiff demo: done. Look at
          \(resultsFile.path)   every score per seed, with mean and std
          \(firstModel)/samples/-001.png          samples on held-out masks (masks: -001_cond_seg_all.png, real: -001_orig.png)
          \(firstModel)/mask_removal.png          one row per class removed (also .pdf)
          \(root.path)/seeds/seed-\(seed)/samples_many_\(samples)/   generated images, the masks used, manifest.json, metrics.json
          \(firstModel)/logs/                     TensorBoard: tensorboard --logdir \(firstModel)/logs
        segmadiff demo: paint masks and generate from them in the browser (then open the address it prints):
          segmadiff studio --runs \(root.path) --data \(root.appendingPathComponent("data").path)
        """)
    }

    private var threadFlags: [String] { threads.map { ["--threads", "\($0)"] } ?? [] }

    private func common(_ data: DemoData) -> [String] {
        ["--img_size", "\(imgSize)", "--img_dir", data.images, "--seg_dir", data.masks,
         "--segmentation_guided", "--num_segmentation_classes", "\(data.classNames.count)"] + threadFlags
    }

    /// DDIM clips its estimate of the clean image at every step, which keeps a briefly trained model stable.
    private var sampling: [String] {
        ["--sampler", "ddim", "--num_inference_steps", "50", "--eval_batch_size", "8"]
            + (guidanceScale != 0 ? ["--guidance_scale", "\(guidanceScale)"] : [])
    }

    /// v-prediction: with the seed's noise prediction, a model trained for minutes still samples
    /// mostly noise (its error is magnified 50x at high noise levels); the velocity does not.
    private func train(_ data: DemoData, seed: UInt64, into model: String) throws {
        var training = ["--mode", "train", "--model_type", "DDIM"] + common(data) + sampling + [
            "--prediction_type", "v_prediction", "--block_out_channels", "32,32,64", "--layers_per_block", "1",
            "--train_batch_size", "16", "--num_epochs", "\(numEpochs)", "--learning_rate", "1e-3", "--lr_warmup_steps", "50",
            "--save_image_epochs", "\(numEpochs)", "--save_model_epochs", "\(numEpochs)", "--seed", "\(seed)",
            "--class_names", data.classNames.joined(separator: ","), "--output_dir", model, "--overwrite"]
        if cfgPUncond > 0 { training += ["--cfg_p_uncond", "\(cfgPUncond)"] }
        try step("train a small SegMaDiff model (seed \(seed))", SeedMain.self, training)
    }

    /// Prints the command, then runs it exactly as if typed.
    private func step<Command: ParsableCommand>(_ what: String, _ type: Command.Type, _ arguments: [String]) throws {
        let name = type == SeedMain.self ? "" : " " + Command.configuration.commandName!
        let shown = arguments.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
        print("\n== \(what)\n$ segmadiff\(name) \(shown)")
        var command = try type.parse(arguments)
        try command.run()
    }
}
