import ArgumentParser
import Datasets
import Foundation

/// `segmadiff demo`: the whole workflow on real brain MRI, with no data from the user. It runs the
/// same commands a user would type (each is printed), so the demo doubles as a worked example.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build a brain-MRI data set, train a small model, sample, draw figures and score them.",
        discussion: """
        Data: axial slices of the Colin27 T1 MRI with the AAL atlas grouped into cortex, deep grey \
        matter and cerebellum (Debian's mricron-data, installed when missing and running as root); \
        without it, a synthetic head phantom. About 7 minutes on 2 CPU cores.
        """)

    @Option(name: .customLong("output_dir"), help: "Folder for the data, the model and every result.")
    var outputDir = "segmadiff-demo"

    @Option(name: .customLong("img_size"), help: "Training and sampling resolution.")
    var imgSize = 32

    @Option(name: .customLong("num_epochs"), help: "Training epochs (about 8 steps each).")
    var numEpochs = 90

    @Option(name: .customLong("segmenter_epochs"), help: "Training epochs of the scoring segmenter.")
    var segmenterEpochs = 30

    @Option(name: .customLong("cfg_p_uncond"), help: "Train for mask guidance: the fraction of training masks blanked (see `segmadiff main --help`).")
    var cfgPUncond = 0.0

    @Option(name: .customLong("guidance_scale"), help: "Mask guidance strength of the demo's sampling (0: plain conditioning).")
    var guidanceScale = 0.0

    @Flag(name: .customLong("phantom"), help: "Use the synthetic phantom even when the MRI templates are available.")
    var phantom = false

    @Option(name: .customLong("threads"), help: "CPU threads (default: all cores).")
    var threads: Int?

    func validate() throws { try FlagChecks.check(self) }

    func run() throws {
        let root = URL(fileURLWithPath: outputDir)
        try DemoFolder.claim(root)
        let data = try DemoData.prepare(in: root.appendingPathComponent("data"), size: 2 * imgSize, forcePhantom: phantom)
        print("segmadiff demo: \(data.description)")
        let model = root.appendingPathComponent("model").path
        let common = ["--img_size", "\(imgSize)", "--img_dir", data.images, "--seg_dir", data.masks,
                      "--segmentation_guided", "--num_segmentation_classes", "\(data.classNames.count)"]
            + (threads.map { ["--threads", "\($0)"] } ?? [])
        // DDIM clips its estimate of the clean image at every step, which keeps a briefly trained model stable.
        let sampling = ["--sampler", "ddim", "--num_inference_steps", "50", "--eval_batch_size", "8"]
            + (guidanceScale != 0 ? ["--guidance_scale", "\(guidanceScale)"] : [])

        // v-prediction: with the seed's noise prediction, a model trained for minutes still samples
        // mostly noise (its error is magnified 50x at high noise levels); the velocity does not.
        var training = ["--mode", "train", "--model_type", "DDIM"] + common + sampling + [
            "--prediction_type", "v_prediction", "--block_out_channels", "32,32,64", "--layers_per_block", "1",
            "--train_batch_size", "16", "--num_epochs", "\(numEpochs)", "--learning_rate", "1e-3", "--lr_warmup_steps", "50",
            "--save_image_epochs", "\(numEpochs)", "--save_model_epochs", "\(numEpochs)",
            "--class_names", data.classNames.joined(separator: ","), "--output_dir", model, "--overwrite"]
        if cfgPUncond > 0 { training += ["--cfg_p_uncond", "\(cfgPUncond)"] }
        try step("train a small SegMaDiff model", SeedMain.self, training)
        try step("sample on the held-out masks, with the mask-removal figure", SeedMain.self,
                 ["--mode", "eval", "--eval_mask_removal"] + common + sampling + ["--output_dir", model])
        try step("generate one image per held-out mask (twice over)", SeedMain.self,
                 ["--mode", "eval_many", "--eval_sample_size", "\(2 * data.testCount)"] + common + sampling + ["--output_dir", model])
        try step("train the segmenter that scores mask faithfulness", TrainSegmenterCommand.self,
                 ["--img_dir", data.images, "--seg_dir", data.masks, "--num_segmentation_classes", "\(data.classNames.count)",
                  "--img_size", "\(imgSize)", "--num_epochs", "\(segmenterEpochs)", "--output_dir", model, "--overwrite"])
        let samples = "\(model)/samples_many_\(2 * data.testCount)"
        try step("score the samples: Dice against their masks, FID/KID and histograms against real test images",
                 MetricsCommand.self, ["--segmenter", model, "--generated", samples, "--real", "\(data.images)/test"])

        print("""

        segmadiff demo: done. Look at
          \(model)/samples/-001.png          samples on held-out masks (masks: -001_cond_seg_all.png, real: -001_orig.png)
          \(model)/mask_removal.png          one row per class removed (also .pdf)
          \(samples)/   generated images, the masks used and manifest.json
          \(samples)/metrics.json
          \(model)/logs/                     TensorBoard: tensorboard --logdir \(model)/logs
        """)
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

/// The demo's data set: real MRI slices when the templates can be had, else the phantom.
struct DemoData {
    var images: String
    var masks: String
    var classNames: [String]
    var testCount: Int
    var description: String

    static let templates = "/usr/share/mricron/templates"

    /// `folder` lies inside a folder `DemoFolder.claim` checked, so replacing it loses nothing of the user's.
    static func prepare(in folder: URL, size: Int, forcePhantom: Bool) throws -> DemoData {
        try? FileManager.default.removeItem(at: folder)
        let image = "\(templates)/ch2.nii.gz", labels = "\(templates)/aal.nii.gz"
        if !forcePhantom, templatesAvailable(image, labels) {
            var options = NiftiImportOptions(volumes: [(image, labels)], output: folder.path)
            // AAL regions: cortex of the four lobes, deep and limbic grey matter, cerebellum and vermis.
            options.labelGrouping = try LabelGrouping.parse("1-28:1,43-70:1,79-90:1,29-42:2,71-78:2,91-116:3")
            let summary = try NiftiImporter.run(options)
            return DemoData(images: summary.imageDirectory, masks: summary.maskDirectory,
                            classNames: ["background", "cortex", "deep grey matter", "cerebellum"],
                            testCount: summary.slices[.test] ?? 0,
                            description: "real brain MRI: \(summary.slices[.train] ?? 0) axial slices of Colin27 (T1) with AAL regions grouped into 3 classes")
        }
        let counts: [Split: Int] = [.train: 120, .val: 16, .test: 16]
        try HeadPhantom.write(to: folder, size: size, counts: counts, seed: 0)
        let reason = forcePhantom ? "as asked" : "the MRI templates of Debian's mricron-data are not installed (apt-get install mricron-data, as root)"
        return DemoData(images: folder.appendingPathComponent("images").path,
                        masks: folder.appendingPathComponent("masks").path,
                        classNames: HeadPhantom.classNames, testCount: counts[.test]!,
                        description: "a SYNTHETIC head phantom (\(reason))")
    }

    /// The templates, installed from Debian's mricron-data when missing and allowed.
    private static func templatesAvailable(_ files: String...) -> Bool {
        let present = { files.allSatisfy { FileManager.default.fileExists(atPath: $0) } }
        if present() { return true }
        guard getuid() == 0 else { return false }
        print("segmadiff demo: installing Debian's mricron-data (brain MRI templates)...")
        for arguments in [["update", "-qq"], ["install", "-y", "-qq", "mricron-data"]] {
            let apt = Process()
            apt.executableURL = URL(fileURLWithPath: "/usr/bin/apt-get")
            apt.arguments = arguments
            apt.standardOutput = FileHandle.nullDevice
            apt.standardError = FileHandle.nullDevice
            guard (try? apt.run()) != nil else { return false }
            apt.waitUntilExit()
        }
        return present()
    }
}
