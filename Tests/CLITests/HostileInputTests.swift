import Datasets
import Foundation
import Models
import TestSupport
import Testing
import Torch
import Training

/// Hostile input through the real binary (issue #15): absurd sizes, NaN and infinity, 16-bit masks,
/// unwritable and size-limited output, labels too large for a mask, a demo aimed at a real run, and
/// memory running out. Every row must end with exit status 2 (never a signal), one line
/// `segmadiff: error: ...` holding the expected words, and every file that was there before left
/// byte for byte as it was.
@Suite(.serialized) struct HostileInputTests {
    /// One hostile case: what to break in a fresh scratch folder (which holds data/, the tiny data
    /// set, and run/, a trained tiny model) and the command line that meets it.
    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let arguments: [String]
        let words: [String]
        /// Shell limits to start the binary under (`ulimit -f 1`), if any.
        var limits: String? = nil
        /// Whether the run may leave a partial out/ behind (failures found while writing).
        var mayWriteOutput = false
        var prepare: @Sendable (URL) throws -> Void = { _ in }

        var testDescription: String { name }
    }

    // MARK: command lines

    static let train = ["--img_size", "16", "--img_dir", "data/img", "--block_out_channels", "32,64", "--layers_per_block", "1",
                        "--num_epochs", "1", "--train_batch_size", "4", "--threads", "1", "--output_dir", "out"]
    static let guidedTrain = train + ["--seg_dir", "data/mask", "--segmentation_guided", "--num_segmentation_classes", "3"]
    static let evalMany = ["--mode", "eval_many", "--checkpoint_dir", "run", "--output_dir", "out", "--img_dir", "data/img",
                           "--seg_dir", "data/mask", "--segmentation_guided", "--num_segmentation_classes", "3", "--img_size", "16",
                           "--eval_sample_size", "2", "--num_inference_steps", "2", "--threads", "1"]
    static let importNifti = ["import-nifti", "--image", "image.nii", "--labels", "labels.nii", "--output", "out"]

    // MARK: the table

    static let cases: [Case] = sizeCases + checkpointCases + niftiCases + flagCases + otherCases

    /// 1. Sizes from headers, refused before anything is allocated.
    static let sizeCases: [Case] = [
        Case(name: "PNG header of 60000x60000", arguments: train, words: ["huge.png", "60000x60000", "32768"]) {
            try HostileFiles.png(width: 60000, height: 60000).write(to: $0.appendingPathComponent("data/img/train/huge.png"))
        },
        Case(name: "PNG header of 40000x1", arguments: train, words: ["huge.png", "40000x1"]) {
            try HostileFiles.png(width: 40000, height: 1).write(to: $0.appendingPathComponent("data/img/train/huge.png"))
        },
        Case(name: "JPEG header of 60000x60000", arguments: train, words: ["huge.jpg", "60000x60000"]) {
            try HostileFiles.jpeg(width: 60000, height: 60000).write(to: $0.appendingPathComponent("data/img/train/huge.jpg"))
        },
        Case(name: "NPY header of 4e9 x 4e9", arguments: train, words: ["huge.npy", "impossible shape"]) {
            try HostileFiles.npy(descr: "<f4", shape: "(4000000000, 4000000000)").write(to: $0.appendingPathComponent("data/img/train/huge.npy"))
        },
        Case(name: "NPY shape whose product overflows Int", arguments: train, words: ["huge.npy", "impossible shape"]) {
            try HostileFiles.npy(descr: "<u2", shape: "(4611686018427387904, 4, 4)").write(to: $0.appendingPathComponent("data/img/train/huge.npy"))
        },
        Case(name: "NPY shape larger than its file", arguments: train, words: ["short.npy", "ends early"]) {
            try HostileFiles.npy(descr: "<f4", shape: "(16, 16)").write(to: $0.appendingPathComponent("data/img/train/short.npy"))
        },
        Case(name: "NPY image full of NaN", arguments: train + ["--normalization", "minmax"], words: ["nan.npy", "NaN"]) {
            try ImageFile.writeNPY(Tensor.full([16, 16], .nan, TensorOptions(.float32)), to: $0.appendingPathComponent("data/img/train/nan.npy").path)
        },
        Case(name: "NPY image with an infinity", arguments: train + ["--normalization", "minmax"], words: ["inf.npy", "infinite"]) {
            var values = [Float](repeating: 0.5, count: 256)
            values[7] = .infinity
            try ImageFile.writeNPY(Tensor(values, shape: [16, 16]), to: $0.appendingPathComponent("data/img/train/inf.npy").path)
        },
    ]

    /// A checkpoint's files: safetensors, config.json, segmadiff.json, scheduler_config.json.
    static let checkpointCases: [Case] = [
        Case(name: "safetensors entry of 2^32 x 2^32", arguments: evalMany, words: ["diffusion_pytorch_model.safetensors", "impossible shape"]) {
            try HostileFiles.safetensors(header: #"{"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]}}"#, payload: 16)
                .write(to: HostileFiles.weights($0))
        },
        Case(name: "safetensors header length beyond the file", arguments: evalMany, words: ["diffusion_pytorch_model.safetensors", "runs past the end"]) {
            var data = Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00])
            data.append(Data(#"{"w": 1}"#.utf8))
            try data.write(to: HostileFiles.weights($0))
        },
        Case(name: "safetensors entries that overlap", arguments: evalMany, words: ["diffusion_pytorch_model.safetensors", "overlap"]) {
            let header = #"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}"#
            try HostileFiles.safetensors(header: header, payload: 24).write(to: HostileFiles.weights($0))
        },
        Case(name: "safetensors entry with a negative side", arguments: evalMany, words: ["diffusion_pytorch_model.safetensors", "impossible shape"]) {
            try HostileFiles.safetensors(header: #"{"w": {"dtype": "F32", "shape": [-4, -1], "data_offsets": [0, 16]}}"#, payload: 16)
                .write(to: HostileFiles.weights($0))
        },
        Case(name: "checkpoint weights holding NaN", arguments: evalMany, words: ["diffusion_pytorch_model.safetensors", "NaN"]) {
            var weights = try Safetensors.load(HostileFiles.weights($0).path)
            let key = weights.keys.sorted().first { weights[$0]!.dtype.isFloatingPoint }!
            weights[key] = weights[key]! * Double.nan
            try Safetensors.save(weights, to: HostileFiles.weights($0).path)
        },
        Case(name: "checkpoint weights holding infinity", arguments: evalMany, words: ["diffusion_pytorch_model.safetensors", "infinite"]) {
            var weights = try Safetensors.load(HostileFiles.weights($0).path)
            let key = weights.keys.sorted().last { weights[$0]!.dtype.isFloatingPoint }!
            weights[key] = weights[key]! + Double.infinity
            try Safetensors.save(weights, to: HostileFiles.weights($0).path)
        },
        Case(name: "config.json block_out_channels of 100000", arguments: evalMany, words: ["config.json", "100000"]) {
            try HostileFiles.editJSON($0.appendingPathComponent("run/unet/config.json")) { $0["block_out_channels"] = [32, 100000] }
        },
        Case(name: "config.json layers_per_block of 10^6", arguments: evalMany, words: ["config.json", "layers_per_block", "1000000"]) {
            try HostileFiles.editJSON($0.appendingPathComponent("run/unet/config.json")) { $0["layers_per_block"] = 1_000_000 }
        },
        Case(name: "config.json sample_size of 10^9", arguments: evalMany, words: ["config.json", "sample_size"]) {
            try HostileFiles.editJSON($0.appendingPathComponent("run/unet/config.json")) { $0["sample_size"] = 1_000_000_000 }
        },
        Case(name: "config.json with 40 levels", arguments: evalMany, words: ["config.json", "40 levels"]) {
            try HostileFiles.editJSON($0.appendingPathComponent("run/unet/config.json")) {
                $0["block_out_channels"] = Array(repeating: 32, count: 40)
                $0["down_block_types"] = Array(repeating: "DownBlock2D", count: 40)
                $0["up_block_types"] = Array(repeating: "UpBlock2D", count: 40)
            }
        },
        Case(name: "segmadiff.json d_state of 10^9", arguments: evalMany, words: ["segmadiff.json", "d_state"]) {
            try HostileFiles.editJSON($0.appendingPathComponent("run/unet/segmadiff.json")) {
                var mdformer = $0["mdformer"] as! [String: Any]
                mdformer["d_state"] = 1_000_000_000
                $0["mdformer"] = mdformer
            }
        },
        Case(name: "scheduler num_train_timesteps of 1e12", arguments: evalMany, words: ["scheduler_config.json", "num_train_timesteps"]) {
            try HostileFiles.editJSON($0.appendingPathComponent("run/scheduler/scheduler_config.json")) { $0["num_train_timesteps"] = 1e12 }
        },
        Case(name: "scheduler with a negative beta", arguments: evalMany, words: ["scheduler_config.json", "beta_start"]) {
            try HostileFiles.editJSON($0.appendingPathComponent("run/scheduler/scheduler_config.json")) { $0["beta_start"] = -0.5 }
        },
        Case(name: "scheduler with beta_end of 1e300", arguments: evalMany, words: ["scheduler_config.json", "beta_end"]) {
            try HostileFiles.editJSON($0.appendingPathComponent("run/scheduler/scheduler_config.json")) { $0["beta_end"] = 1e300 }
        },
    ]

    /// NIfTI headers and labels (import-nifti).
    static let niftiCases: [Case] = [
        Case(name: "NIfTI vox_offset NaN", arguments: importNifti, words: ["image.nii", "vox_offset"]) {
            try HostileFiles.niftiPair(in: $0) { HostileFiles.put(Float.nan, at: 108, in: &$0) }
        },
        Case(name: "NIfTI vox_offset negative", arguments: importNifti, words: ["image.nii", "vox_offset"]) {
            try HostileFiles.niftiPair(in: $0) { HostileFiles.put(Float(-1e30), at: 108, in: &$0) }
        },
        Case(name: "NIfTI vox_offset past the file", arguments: importNifti, words: ["image.nii", "ends early"]) {
            try HostileFiles.niftiPair(in: $0) { HostileFiles.put(Float(1e8), at: 108, in: &$0) }
        },
        Case(name: "NIfTI dimension of zero", arguments: importNifti, words: ["image.nii", "dimension of 0"]) {
            try HostileFiles.niftiPair(in: $0) { HostileFiles.put(Int16(0), at: 44, in: &$0) }
        },
        Case(name: "NIfTI negative dimension", arguments: importNifti, words: ["image.nii", "dimension of -5"]) {
            try HostileFiles.niftiPair(in: $0) { HostileFiles.put(Int16(-5), at: 42, in: &$0) }
        },
        Case(name: "NIfTI dims of 32767^3", arguments: importNifti, words: ["image.nii", "32767x32767x32767"]) {
            try HostileFiles.niftiPair(in: $0) { bytes in for offset in [42, 44, 46] { HostileFiles.put(Int16.max, at: offset, in: &bytes) } }
        },
        Case(name: "NIfTI scl_slope NaN", arguments: importNifti, words: ["image.nii", "scl_slope"]) {
            try HostileFiles.niftiPair(in: $0) { HostileFiles.put(Float.nan, at: 112, in: &$0) }
        },
        Case(name: "NIfTI scl_slope infinite", arguments: importNifti, words: ["image.nii", "scl_slope"]) {
            try HostileFiles.niftiPair(in: $0) { HostileFiles.put(Float.infinity, at: 112, in: &$0) }
        },
        Case(name: "NIfTI labels above 65535", arguments: importNifti, words: ["labels.nii", "label 70000", "--label_map"]) {
            try HostileFiles.niftiPair(in: $0, largestLabel: 70000)
        },
        Case(name: "--label_map naming label 10^12", arguments: importNifti + ["--label_map", "1-1000000000000:1"], words: ["--label_map", "1000000000000"]) {
            try HostileFiles.niftiPair(in: $0)
        },
    ]

    /// 2. Flags: NaN, infinity and absurd sizes.
    static let flagCases: [Case] = {
        let guided: [(String, String, [String])] = [
            ("--threads", "100000", ["--threads 100000"]),
            ("--eval_sample_size", "1000000000", ["--eval_sample_size 1000000000"]),
            ("--img_size", "1000000", ["--img_size 1000000"]),
            ("--train_batch_size", "1000000", ["--train_batch_size 1000000"]),
            ("--eval_batch_size", "1000000", ["--eval_batch_size 1000000"]),
            ("--layers_per_block", "1000000", ["--layers_per_block 1000000"]),
            ("--block_out_channels", "32,100000", ["--block_out_channels", "100000"]),
            ("--num_segmentation_classes", "100000000", ["--num_segmentation_classes 100000000"]),
            ("--learning_rate", "nan", ["--learning_rate", "nan"]),
            ("--learning_rate", "inf", ["--learning_rate", "inf"]),
            ("--ema_decay", "nan", ["--ema_decay", "nan"]),
            ("--cfg_p_uncond", "nan", ["--cfg_p_uncond", "nan"]),
            ("--guidance_scale", "inf", ["--guidance_scale", "inf"]),
            ("--guidance_detail_scale", "nan", ["--guidance_detail_scale", "nan"]),
            ("--guidance_rescale", "nan", ["--guidance_rescale", "nan"]),
            ("--strength", "nan", ["--strength", "nan"]),
            ("--dist_timeout", "inf", ["--dist_timeout", "inf"]),
            ("--dist_bucket_mb", "inf", ["--dist_bucket_mb", "inf"]),
            ("--dist_bucket_mb", "1e300", ["--dist_bucket_mb", "1e+300"]),
            ("--normalization", "window:-inf,inf", ["--normalization", "inf"]),
        ]
        var cases = guided.map { flag, value, words in
            Case(name: "\(flag) \(value)", arguments: guidedTrain + [flag, value], words: words)
        }
        let segmenter = ["train-segmenter", "--img_dir", "data/img", "--seg_dir", "data/mask", "--num_segmentation_classes", "3",
                         "--img_size", "16", "--output_dir", "out"]
        cases += [
            Case(name: "train-segmenter --learning_rate inf", arguments: segmenter + ["--learning_rate", "inf"], words: ["--learning_rate", "inf"]),
            Case(name: "train-segmenter --dice_loss_weight nan", arguments: segmenter + ["--dice_loss_weight", "nan"], words: ["--dice_loss_weight", "nan"]),
            Case(name: "train-segmenter --threads 100000", arguments: segmenter + ["--threads", "100000"], words: ["--threads 100000"]),
            Case(name: "train-segmenter --widths 8,1000000", arguments: segmenter + ["--widths", "8,1000000"], words: ["--widths", "1000000"]),
            Case(name: "metrics --batch_size 10^7", arguments: ["metrics", "--segmenter", "run", "--generated", "data/img/test", "--batch_size", "10000000"],
                 words: ["--batch_size 10000000"]),
            Case(name: "demo --img_size 10^6", arguments: ["demo", "--phantom", "--img_size", "1000000", "--output_dir", "out"], words: ["--img_size 1000000"]),
            Case(name: "demo --guidance_scale nan", arguments: ["demo", "--phantom", "--guidance_scale", "nan", "--output_dir", "out"], words: ["--guidance_scale", "nan"]),
            Case(name: "launch --nproc_per_node 100000", arguments: ["launch", "--nproc_per_node", "100000", "--", "--mode", "train"], words: ["--nproc_per_node 100000"]),
            Case(name: "launch --grace_period nan", arguments: ["launch", "--nproc_per_node", "1", "--grace_period", "nan", "--", "--mode", "train"], words: ["--grace_period", "nan"]),
            Case(name: "import-nifti --split nan", arguments: importNifti + ["--split", "nan,0.1,0.1"], words: ["--split", "nan"]),
            // The hyphenated spelling of earlier versions still reaches the same option.
            Case(name: "import-nifti --label-map (old spelling) abc", arguments: importNifti + ["--label-map", "abc"], words: ["--label_map entry"]),
            Case(name: "import-nifti --window -inf,inf", arguments: importNifti + ["--window=-inf,inf"], words: ["--window", "inf"]),
        ]
        return cases
    }()

    /// 3-7. Masks, writing, demo, memory.
    static let otherCases: [Case] = [
        Case(name: "16-bit mask with a label above K names the mask", arguments: guidedTrain, words: ["data/mask/all/train/case00.png", "has label 7"]) {
            try HostileFiles.sixteenBitMasks(in: $0.appendingPathComponent("data"), extraLabel: 7)
        },
        Case(name: "eval_many into a folder under a file", arguments: evalMany.replacingOutput(with: "blocker/out"),
             words: ["blocker/out", "Not a directory", "writable"]) {
            try Data("not a folder".utf8).write(to: $0.appendingPathComponent("blocker"))
        },
        Case(name: "train into a folder under a file", arguments: guidedTrain.replacingOutput(with: "blocker/out"),
             words: ["blocker/out", "Not a directory", "writable"]) {
            try Data("not a folder".utf8).write(to: $0.appendingPathComponent("blocker"))
        },
        Case(name: "eval into a folder under a file", arguments: evalMany.replacingMode(with: "eval").replacingOutput(with: "blocker/out"),
             words: ["blocker/out", "Not a directory", "writable"]) {
            try Data("not a folder".utf8).write(to: $0.appendingPathComponent("blocker"))
        },
        Case(name: "eval_many under ulimit -f (SIGXFSZ)", arguments: evalMany.replacingSampleCount(with: 40),
             words: ["File too large", "raise the limit"], limits: "ulimit -f 1", mayWriteOutput: true),
        Case(name: "a checkpoint under ulimit -f (SIGXFSZ)", arguments: guidedTrain, words: ["File too large", "raise the limit"],
             limits: "ulimit -f 8", mayWriteOutput: true),
        Case(name: "demo aimed at a real run", arguments: ["demo", "--phantom", "--img_size", "16", "--num_epochs", "1", "--output_dir", "run"],
             words: ["--output_dir", "run", "did not create", "new or empty folder"]),
        Case(name: "demo aimed at a file", arguments: ["demo", "--phantom", "--output_dir", "blocker"], words: ["blocker", "is a file"]) {
            try Data("keep me".utf8).write(to: $0.appendingPathComponent("blocker"))
        },
        // The full-size U-Net at 256 px: libtorch's first step cannot fit the 4 GB address space (on a
        // machine with less memory free the estimate refuses it first; both say the same fix).
        Case(name: "training that runs out of memory (ulimit -v)",
             arguments: guidedTrain.replacingImageSize(with: 256) + ["--block_out_channels", "128,128,256,256,512,512",
                                                                      "--layers_per_block", "2", "--train_batch_size", "8"],
             words: ["--train_batch_size", "--img_size"], limits: "ulimit -v 4000000", mayWriteOutput: true),
    ]

    // MARK: running a case

    @Test(arguments: cases) func hostileInputEndsWithOneLine(_ hostile: Case) throws {
        let scratch = TemporaryFolder()
        try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data"))
        try FileManager.default.copyItem(at: SharedRun.url, to: scratch.url.appendingPathComponent("run"))
        try hostile.prepare(scratch.url)
        let before = try HostileFiles.snapshot(scratch.url)

        let result = try HostileFiles.run(hostile.arguments, in: scratch.url, limits: hostile.limits)
        #expect(!result.signalled, "\(hostile.name): killed by signal \(result.status)\n\(result.stderr)")
        #expect(result.status == 2, "\(hostile.name): status \(result.status)\n\(result.stderr)")
        let errorLine = result.stderr.split(separator: "\n").first { $0.hasPrefix("segmadiff: error: ") }.map(String.init)
        #expect(errorLine != nil, "\(hostile.name): no error line in\n\(result.stderr)")
        for word in hostile.words {
            #expect(errorLine?.contains(word) == true, "\(hostile.name): \(errorLine ?? result.stderr) should mention \(word)")
        }
        #expect(result.stderr.split(separator: "\n").filter { $0.hasPrefix("segmadiff: error") }.count == 1)
        #expect(!result.stderr.contains("Fatal error") && !result.stderr.contains("Stack dump"), "\(result.stderr)")
        // Nothing of value overwritten: every file that was there is there, unchanged.
        let after = try HostileFiles.snapshot(scratch.url)
        for (path, bytes) in before {
            #expect(after[path] == bytes, "\(hostile.name): \(path) was changed or removed")
        }
        if !hostile.mayWriteOutput {
            #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("out").path), "\(hostile.name): out/ was written")
        }
    }

    // MARK: cases that must succeed

    /// 3. 16-bit masks (labels 0-2) train, where libtorch had no min/max for uint16.
    @Test func sixteenBitMasksTrain() throws {
        let scratch = TemporaryFolder()
        let data = scratch.url.appendingPathComponent("data")
        try TinyRun.writeDataset(in: data)
        try HostileFiles.sixteenBitMasks(in: data, extraLabel: nil)
        let result = try HostileFiles.run(Self.guidedTrain, in: scratch.url, limits: nil)
        #expect(result.status == 0 && !result.signalled, "\(result.stderr)")
        #expect(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("out/unet/config.json").path))
    }

    /// A .nii.gz whose stream goes on far past the voxels its header describes (a gzip bomb: 1 GiB
    /// of zeros, about 1 MiB compressed) is read only that far, under a memory limit the whole
    /// stream would not fit with libtorch loaded.
    @Test func gzipBombIsNotInflatedPastTheHeader() throws {
        let scratch = TemporaryFolder()
        try HostileFiles.niftiPair(in: scratch.url)
        try HostileFiles.gzip(scratch.url.appendingPathComponent("image.nii"), trailingZeros: 1 << 30,
                              to: scratch.url.appendingPathComponent("image.nii.gz"))
        // Four slices are too few for gapped slabs; this test is about reading, so they are split one by one.
        let result = try HostileFiles.run(["import-nifti", "--image", "image.nii.gz", "--labels", "labels.nii", "--output", "out",
                                           "--split_by", "slice"], in: scratch.url, limits: nil)
        #expect(result.status == 0 && !result.signalled, "\(result.stderr)")
        #expect(result.peakKilobytes < 900_000, "peak memory \(result.peakKilobytes) KiB: the stream was inflated whole")
    }
}

/// A tiny guided model trained once (1 epoch, TinyRun) and copied into each case's scratch folder.
enum SharedRun {
    static let url: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("segmadiff-hostile-run-\(getpid())")
        try? FileManager.default.removeItem(at: folder)
        let data = folder.appendingPathComponent("data"), run = folder.appendingPathComponent("run")
        try! TinyRun.writeDataset(in: data)
        _ = try! Trainer(TinyRun.options(data: data, output: run, epochs: 1)).run()
        return run
    }()
}

extension [String] {
    func replacing(_ flag: String, with value: String) -> [String] {
        var copy = self
        if let index = copy.firstIndex(of: flag) { copy[index + 1] = value } else { copy += [flag, value] }
        return copy
    }

    func replacingOutput(with folder: String) -> [String] { replacing("--output_dir", with: folder) }
    func replacingMode(with mode: String) -> [String] { replacing("--mode", with: mode) }
    func replacingSampleCount(with count: Int) -> [String] { replacing("--eval_sample_size", with: "\(count)") }
    func replacingImageSize(with size: Int) -> [String] { replacing("--img_size", with: "\(size)") }
}
