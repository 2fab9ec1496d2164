import Datasets
import Foundation
import ModelCard
import TestSupport
import Testing
import Torch
import Training

/// Models that see their slice's neighbours, through the real binary on slices import-nifti cut
/// from a small synthetic volume: 2.5-D context slices (`--context_slices`) and the previous slice
/// (`--condition_on_previous_slice`) are trained, recorded in the card, resumed, checked against
/// contradicting flags and sampled into a volume; a model of the previous slice makes the volume's
/// slices in order, each from the one it made before.
@Suite(.serialized) struct SliceConsistencyCommandTests {
    let scratch = TemporaryFolder()
    /// Voxels along x, y, z; every axial slice labelled, a disc whose size changes with z.
    static let dims = [16, 16, 10]
    /// The slice whose labels `seg_changed.nii.gz` changes.
    static let changed = 4

    init() throws {
        let (image, labels) = Self.volumes()
        try NiftiWriter.write(image, to: path("mr.nii.gz"))
        try NiftiWriter.write(labels, to: path("seg.nii.gz"))
        let changed = labels.clone()
        changed.selected(dim: 0, index: Self.changed).fill(1)
        try NiftiWriter.write(changed, to: path("seg_changed.nii.gz"))
        let imported = try SegMaDiffBinary.run(["import-nifti", "--image", "mr.nii.gz", "--labels", "seg.nii.gz", "--output", "data",
                                                "--split", "0.6,0.2,0.2", "--split_by", "slice"], in: scratch.url)
        guard imported.status == 0 else { throw UsageError("import-nifti failed: \(imported.stderr)") }
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { scratch.url.appendingPathComponent(name).path }

    /// A disc of class 1 with a core of class 2, growing along z, in a noisy image.
    static func volumes() -> (image: Tensor, labels: Tensor) {
        let (nx, ny, nz) = (dims[0], dims[1], dims[2])
        let x = Tensor.arange(0, Double(nx), .init(.float64)).reshaped(1, 1, nx)
        let y = Tensor.arange(0, Double(ny), .init(.float64)).reshaped(1, ny, 1)
        let z = Tensor.arange(0, Double(nz), .init(.float64)).reshaped(nz, 1, 1)
        let distance = ((x - 8).squared() + (y - 8).squared()).expanded(to: [nz, ny, nx])
        let radius = (z * 0.5 + 3).expanded(to: [nz, ny, nx])
        let disc = distance.lt(radius.squared()).to(.int64), core = distance.lt(4).to(.int64)
        let labels = disc + core
        let noise = Tensor.randn([nz, ny, nx], generator: Generator(seed: 7)).to(.float64) * 10
        return ((labels.to(.float64) * 300 + 100 + noise).to(.int16), labels.to(.uint8))
    }

    /// Training flags for a tiny guided model of these slices; `extra` adds or overrides.
    func train(_ output: String, _ extra: [String], epochs: Int = 1) throws -> SegMaDiffBinary.Result {
        try SegMaDiffBinary.run(
            ["--mode", "train", "--model_type", "ddim", "--img_size", "16", "--img_dir", "data/images", "--seg_dir", "data/masks",
             "--segmentation_guided", "--num_segmentation_classes", "3", "--train_batch_size", "4", "--eval_batch_size", "2",
             "--num_epochs", "\(epochs)", "--block_out_channels", "32,64", "--layers_per_block", "1", "--num_inference_steps", "2",
             "--save_image_epochs", "1", "--save_model_epochs", "1", "--lr_warmup_steps", "1", "--threads", "1",
             "--output_dir", output] + extra, in: scratch.url)
    }

    func sampleVolume(_ run: String, _ labels: String, _ output: String, _ extra: [String] = []) throws -> SegMaDiffBinary.Result {
        try SegMaDiffBinary.run(["sample-volume", "--checkpoint_dir", run, "--labels", labels, "--output", output, "--sampler", "ddim",
                                 "--num_inference_steps", "2", "--threads", "1", "--seed", "4"] + extra, in: scratch.url)
    }

    func card(_ run: String) throws -> ModelCard { try ModelCard.read(from: scratch.url.appendingPathComponent("\(run)/unet/segmadiff.json")) }

    func inChannels(_ run: String) throws -> Int {
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.url.appendingPathComponent("\(run)/unet/config.json"))) as! [String: Any]
        return config["in_channels"] as! Int
    }

    @Test func aContextModelTrainsResumesAndSamplesAVolume() throws {
        let first = try train("ctx", ["--context_slices", "1"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try card("ctx").contextSlices == 1)
        // The image, its own mask and the two neighbours' masks.
        #expect(try inChannels("ctx") == 4)

        let resumed = try train("ctx", ["--resume"], epochs: 2)
        #expect(resumed.status == 0 && resumed.stdout.contains("trained 2 epochs"), "\(resumed.stderr)")
        let contradicting = try train("ctx", ["--resume", "--context_slices", "2"], epochs: 3)
        #expect(contradicting.status == 2)
        #expect(contradicting.stderr.split(separator: "\n").count == 1
                && contradicting.stderr.contains("--context_slices 2 contradicts the saved 1"), "\(contradicting.stderr)")

        let volume = try sampleVolume("ctx", "seg.nii.gz", "out/ctx.nii.gz")
        #expect(volume.status == 0, "\(volume.stderr)")
        #expect(volume.stdout.contains("10 axial slices generated"), "\(volume.stdout)")
        #expect(try NiftiVolume.read(path("out/ctx.nii.gz")).dims == Self.dims)

        // The 2-D modes find the neighbours in the data's slices.csv; a bare folder of masks has none.
        let many = try SegMaDiffBinary.run(["--mode", "eval_many", "--checkpoint_dir", "ctx", "--output_dir", "ctx", "--seg_dir", "data/masks",
                                            "--eval_sample_size", "2", "--sampler", "ddim", "--num_inference_steps", "2", "--threads", "1"],
                                           in: scratch.url)
        #expect(many.status == 0 && !many.stderr.contains("stands for"), "\(many.stderr)")
        let bare = try SegMaDiffBinary.run(["sample", "--checkpoint_dir", "ctx", "--masks", "data/masks/all/test", "--output_dir", "bare",
                                            "--eval_sample_size", "1", "--sampler", "ddim", "--num_inference_steps", "2", "--threads", "1"],
                                           in: scratch.url)
        #expect(bare.status == 0 && bare.stderr.contains("each mask stands for its neighbours too"), "\(bare.stderr)")
        let common = ["--checkpoint_dir", "ctx", "--sampler", "ddim", "--num_inference_steps", "2", "--threads", "1"]
        let figure = try SegMaDiffBinary.run(["--mode", "eval", "--eval_mask_removal", "--seg_dir", "data/masks", "--img_dir", "data/images",
                                              "--output_dir", "ctx_eval"] + common, in: scratch.url)
        #expect(figure.status == 0, "\(figure.stderr)")
        let translated = try SegMaDiffBinary.run(["translate", "--images", "data/images/test", "--masks", "data/masks/all/test",
                                                  "--output_dir", "ctx_translate"] + common, in: scratch.url)
        #expect(translated.status == 0 && translated.stderr.contains("stands for its neighbours"), "\(translated.stderr)")
        let synthesized = try SegMaDiffBinary.run(["synthesize", "--seg_dir", "data/masks", "--split", "train", "--output_dir", "ctx_synth",
                                                   "--count", "2"] + common, in: scratch.url)
        #expect(synthesized.status == 0, "\(synthesized.stderr)")
    }

    @Test func contextSlicesWithoutSlicesCSVIsOneLineNamingTheFileAndTheFix() throws {
        try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("plain"))
        let result = try SegMaDiffBinary.run(
            ["--mode", "train", "--img_size", "16", "--img_dir", "plain/img", "--seg_dir", "plain/mask", "--segmentation_guided",
             "--num_segmentation_classes", "3", "--num_epochs", "1", "--block_out_channels", "32,64", "--context_slices", "2",
             "--output_dir", "noslices", "--threads", "1"], in: scratch.url)
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("--context_slices 2 needs the slices.csv") && lines[0].contains("import-nifti"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path("noslices/unet")))
    }

    /// Changing one slice's labels changes the slice after it only when the model takes the
    /// previous slice: it is fed the slice generated before it, in order.
    @Test func aPreviousSliceModelFeedsEachSliceTheOneGeneratedBefore() throws {
        let previous = try train("prev", ["--condition_on_previous_slice"])
        let plain = try train("plain", [])
        #expect(previous.status == 0 && plain.status == 0, "\(previous.stderr)\(plain.stderr)")
        #expect(try card("prev").conditionOnPreviousSlice == true && card("plain").conditionOnPreviousSlice == nil)
        // The image, its mask, the previous slice's image and whether there is one.
        #expect(try inChannels("prev") == 4)

        let orphan = try train("orphan", ["--previous_slice_noise", "0.5"])
        #expect(orphan.status == 2 && orphan.stderr.contains("--previous_slice_noise 0.5 spoils the previous slice"), "\(orphan.stderr)")
        let spoilt = try train("spoilt", ["--condition_on_previous_slice", "--previous_slice_noise", "0.5"])
        #expect(try spoilt.status == 0 && card("spoilt").previousSliceNoise == 0.5, "\(spoilt.stderr)")
        let spoiltVolume = try sampleVolume("spoilt", "seg.nii.gz", "out/spoilt.nii")
        #expect(spoiltVolume.status == 0, "\(spoiltVolume.stderr)")

        // Independent noise, one slice per batch: a slice's own noise and labels are all that differ.
        let flags = ["--slice_noise_correlation", "0", "--eval_batch_size", "1"]
        for run in ["prev", "plain"] {
            for labels in ["seg", "seg_changed"] {
                let result = try sampleVolume(run, "\(labels).nii.gz", "out/\(run)-\(labels).nii", flags)
                #expect(result.status == 0, "\(result.stderr)")
            }
        }
        func sliceChange(_ run: String, _ z: Int) throws -> Double {
            let a = try NiftiVolume.read(path("out/\(run)-seg.nii")).data, b = try NiftiVolume.read(path("out/\(run)-seg_changed.nii")).data
            return (a.selected(dim: 0, index: z) - b.selected(dim: 0, index: z)).abs().max().item
        }
        let z = Self.changed
        for before in 0..<z {
            #expect(try sliceChange("prev", before) == 0, "slice \(before) comes before the change")
        }
        #expect(try sliceChange("prev", z) > 0 && sliceChange("plain", z) > 0)
        #expect(try sliceChange("plain", z + 1) == 0, "a model of independent slices")
        #expect(try sliceChange("prev", z + 1) > 0, "slice \(z + 1) is made from the changed slice \(z)")
        #expect(try sliceChange("prev", z + 2) > 0, "and passes the change on")
    }

    /// `--segmenter`: each generated slice's Dice against its labels, over all slices and over each
    /// split of the model's data (from the import's slices.csv).
    @Test func aSegmenterScoresTheGeneratedSlicesBySplit() throws {
        let model = try train("plain", [])
        let segmenter = try SegMaDiffBinary.run(["train-segmenter", "--img_dir", "data/images", "--seg_dir", "data/masks",
                                                 "--num_segmentation_classes", "3", "--img_size", "16", "--num_epochs", "1",
                                                 "--output_dir", "seg", "--threads", "1"], in: scratch.url)
        #expect(model.status == 0 && segmenter.status == 0, "\(model.stderr)\(segmenter.stderr)")
        let result = try sampleVolume("plain", "seg.nii.gz", "out/scored.nii", ["--segmenter", "seg", "--image", "mr.nii.gz"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        for which in ["generated", "real"] {
            let line = lines.first { $0.hasPrefix("slice Dice (segmenter vs labels): \(which)") } ?? ""
            #expect(line.contains("all ") && line.contains("(10 slices)"), "\(which): \(result.stdout)")
            #expect(line.contains("by split of the model's data: train") && line.contains("val") && line.contains("test"), "\(line)")
        }

        let wrong = try sampleVolume("plain", "seg.nii.gz", "out/wrong.nii", ["--segmenter", "missing"])
        #expect(wrong.status == 2 && wrong.stderr.split(separator: "\n").count == 1, "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path("out/wrong.nii")))
    }
}
