import Foundation
import TestSupport
import Testing
import Training

/// `segmadiff synthesize` through the real binary, and its nnU-Net data set through nnU-Net's own
/// integrity check (nnunetv2 in .deps/nnunet, installed by scripts/setup.sh).
@Suite(.serialized) struct SynthesizeCommandTests {
    let scratch = TemporaryFolder()

    /// The Python with nnunetv2 that scripts/setup.sh installs; nil where the set-up has not run.
    static let nnunetPython: URL? = {
        let python = Fixtures.packageRoot.appendingPathComponent(".deps/nnunet/bin/python")
        return FileManager.default.isExecutableFile(atPath: python.path) ? python : nil
    }()

    init() throws {
        let data = scratch.url.appendingPathComponent("data")
        try TinyRun.writeDataset(in: data)
        _ = try Trainer(TinyRun.options(data: data, output: scratch.url.appendingPathComponent("run"), epochs: 1)).run()
    }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent(path).path) }

    func synthesize(_ extra: [String]) throws -> SegMaDiffBinary.Result {
        try SegMaDiffBinary.run(["synthesize", "--checkpoint_dir", "run", "--seg_dir", "data/mask", "--split", "train",
                                 "--sampler", "ddim", "--num_inference_steps", "2", "--eval_batch_size", "3", "--threads", "1"] + extra,
                                in: scratch.url)
    }

    /// nnU-Net's verify_dataset_integrity on `folder`, its output through a file (the check's worker
    /// processes may outlive it holding a pipe open), stopped after two minutes.
    func nnunetCheck(_ python: URL, _ folder: String) throws -> SegMaDiffBinary.Result {
        let log = scratch.url.appendingPathComponent("nnunet-check-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = python
        process.arguments = [Fixtures.packageRoot.appendingPathComponent("scripts/check_nnunet.py").path, scratch.url.appendingPathComponent(folder).path]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return SegMaDiffBinary.Result(status: process.terminationStatus, stdout: try String(contentsOf: log, encoding: .utf8), stderr: "")
    }

    @Test func writesBothLayoutsAndASecondRunKeepsThem() throws {
        let flags = ["--count", "6", "--edit", "flip:p=0.5", "--edit", "grow:class=1,px=0..1", "--val_fraction", "0.34",
                     "--output_dir", "synth", "--nnunet", "raw/Dataset502_Tiny", "--modality", "MRI", "--class_names", "background,outer,inner"]
        let result = try synthesize(flags)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("6 pairs in") && result.stdout.contains("train 4, val 2") && result.stdout.contains("6 written"), "\(result.stdout)")
        #expect(exists("synth/images/train/case00.png") || exists("synth/images/val/case00.png"))
        #expect(exists("synth/manifest.json") && exists("raw/Dataset502_Tiny/dataset.json") && exists("raw/Dataset502_Tiny/labelsTr/case05.png"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: scratch.url.appendingPathComponent("raw/Dataset502_Tiny/dataset.json"))) as! [String: Any]
        #expect(json["channel_names"] as? [String: String] == ["0": "MRI"])
        #expect(json["labels"] as? [String: Int] == ["background": 0, "outer": 1, "inner": 2])
        let again = try synthesize(flags)
        #expect(again.status == 0 && again.stdout.contains("0 written (6 already there)"), "\(again.stdout)\(again.stderr)")
    }

    @Test(.enabled(if: nnunetPython != nil, "nnU-Net's check is not installed: .deps/nnunet/bin/python is missing; run scripts/setup.sh (it installs nnunetv2 there)"))
    func nnUNetsOwnIntegrityCheckAcceptsTheDataSet() throws {
        let result = try synthesize(["--count", "5", "--edit", "affine:p=0.5", "--output_dir", "synth", "--nnunet", "raw/Dataset503_Tiny"])
        #expect(result.status == 0, "\(result.stderr)")
        let check = try nnunetCheck(Self.nnunetPython!, "raw/Dataset503_Tiny")
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("verify_dataset_integrity Done"), "\(check.stdout)")
        // The check is real: a dataset.json that promises one case too many fails it, and so does
        // one that leaves out a class the label files hold (nnU-Net reads every label PNG for that).
        let jsonURL = scratch.url.appendingPathComponent("raw/Dataset503_Tiny/dataset.json")
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: jsonURL)) as! [String: Any]
        var json = original
        json["numTraining"] = 6
        try JSONSerialization.data(withJSONObject: json).write(to: jsonURL)
        #expect(try nnunetCheck(Self.nnunetPython!, "raw/Dataset503_Tiny").status != 0)
        json = original
        json["labels"] = ["background": 0, "class_1": 1]
        try JSONSerialization.data(withJSONObject: json).write(to: jsonURL)
        let missingClass = try nnunetCheck(Self.nnunetPython!, "raw/Dataset503_Tiny")
        #expect(missingClass.status != 0 && missingClass.stdout.contains("Unexpected labels"), "\(missingClass.stdout)")
    }

    @Test func badFlagsAreOneLineAndWriteNothing() throws {
        for (extra, words) in [(["--edit", "blur"], "--edit \"blur\": unknown edit"),
                               (["--edit", "grow:class=5"], "the model has no class 5"),
                               (["--nnunet", "raw/Tiny"], "DatasetNNN_Name"),
                               (["--split", "holdout"], "--split holdout must be train, val or test")] {
            let result = try synthesize(extra + ["--output_dir", "bad"])
            let lines = result.stderr.split(separator: "\n")
            #expect(result.status == 2 && lines.first?.hasPrefix("segmadiff: error: ") == true && lines[0].contains(words), "\(result.stderr)")
            #expect(!exists("bad"), "\(extra)")
        }
    }
}
