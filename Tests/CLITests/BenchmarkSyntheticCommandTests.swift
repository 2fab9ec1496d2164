import Foundation
import TestSupport
import Testing

/// `segmadiff benchmark-synthetic` through the binary, on the tiny disc data set and a synthetic
/// folder in synthesize's layout: two pairs per real training mask (copies of the real pair under
/// new names, each recorded in manifest.json with its source mask).
@Suite(.serialized) struct BenchmarkSyntheticCommandTests {
    let scratch = TemporaryFolder()
    static let realTrain = 20

    init() throws {
        try TinyRun.writeDataset(in: scratch.url.appendingPathComponent("data"), counts: [.train: Self.realTrain, .val: 6, .test: 6])
        try writeSynthetic(at: "syn", manifest: true)
    }

    /// syn/images/train/syn_caseNN_K.png, syn/masks/all/train/..., syn/manifest.json.
    func writeSynthetic(at folder: String, manifest: Bool, copies: Int = 2) throws {
        let files = FileManager.default
        let root = scratch.url.appendingPathComponent(folder)
        for sub in ["images/train", "masks/all/train"] {
            try files.createDirectory(at: root.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        var entries: [[String: Any]] = []
        for index in 0..<Self.realTrain {
            let source = String(format: "case%02d.png", index)
            for copy in 0..<copies {
                let name = String(format: "syn_case%02d_%d.png", index, copy)
                try files.copyItem(at: scratch.url.appendingPathComponent("data/img/train/\(source)"),
                                   to: root.appendingPathComponent("images/train/\(name)"))
                try files.copyItem(at: scratch.url.appendingPathComponent("data/mask/all/train/\(source)"),
                                   to: root.appendingPathComponent("masks/all/train/\(name)"))
                entries.append(["file": "images/train/\(name)", "mask_files": ["masks/all/train/\(name)"], "split": "train",
                                "source_mask": source, "seed": index * 2 + copy, "edits": []])
            }
        }
        if manifest {
            let object: [String: Any] = ["mask_split": "train", "count": entries.count, "images": entries]
            try JSONSerialization.data(withJSONObject: object).write(to: root.appendingPathComponent("manifest.json"))
        }
    }

    func arguments(_ output: String, arms: String = "all", epochs: Int = 2, synthetic: String = "syn", seeds: Int = 3) -> [String] {
        ["benchmark-synthetic", "--img_dir", "data/img", "--seg_dir", "data/mask", "--synthetic", synthetic,
         "--num_segmentation_classes", "3", "--img_size", "\(TinyRun.size)", "--widths", "8,16", "--num_epochs", "\(epochs)",
         "--train_batch_size", "8", "--seeds", "\(seeds)", "--arms", arms, "--threads", "2", "--output_dir", output]
    }

    struct Run {
        var realPairs: Int
        var syntheticPairs: Int
        var images: [String]
        var masks: [String]
    }

    func readRun(_ output: String, _ arm: String, seed: Int) throws -> Run {
        let url = scratch.url.appendingPathComponent("\(output)/runs/\(arm)/seed-\(seed)/result.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let pairs = try #require(json["training_pairs"] as? [[String: Any]])
        #expect(json["test_dice"] is Double, "\(arm) seed \(seed) has a test Dice")
        #expect((json["test_dice_per_class"] as? [Any])?.count == 2)
        return Run(realPairs: json["real_pairs"] as! Int, syntheticPairs: json["synthetic_pairs"] as! Int,
                   images: pairs.map { $0["image"] as! String }, masks: pairs.map { ($0["masks"] as! [String])[0] })
    }

    static let arms = ["real_only", "mixed_0.5x", "mixed_1x", "mixed_2x", "synthetic_only",
                       "low10_real", "low10_mixed", "low25_real", "low25_mixed", "shuffled_control"]

    @Test func everyArmRunsThenResumeSkipsFinishedRuns() throws {
        let started = Date()
        let result = try SegMaDiffBinary.run(arguments("bench"), in: scratch.url)
        let seconds = Date().timeIntervalSince(started)
        #expect(result.status == 0, "\(result.stderr)")
        print("benchmark-synthetic, 10 arms x 3 seeds on the tiny data: \(String(format: "%.1f", seconds)) s")

        // Every arm x seed wrote its result, and the summary has every arm with per-class intervals.
        for arm in Self.arms {
            for seed in 0..<3 { _ = try readRun("bench", arm, seed: seed) }
        }
        let url = scratch.url.appendingPathComponent("bench/results.json")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let arms = try #require(json["arms"] as? [[String: Any]])
        #expect(arms.map { $0["arm"] as? String } == Self.arms)
        for arm in arms {
            let dice = try #require(arm["test_dice"] as? [String: Any])
            #expect(dice["n"] as? Int == 3 && dice["ci95_half_width"] is Double, "\(arm)")
            #expect((arm["test_dice_per_class"] as? [Any])?.count == 2)
            #expect(arm["verdict"] is String)
        }
        let verdicts = arms.compactMap { $0["verdict"] as? String }
        #expect(verdicts.dropFirst().dropLast().allSatisfy { $0.contains("helps by") || $0.contains("hurts by") || $0.contains("no measurable effect") }, "\(verdicts)")
        #expect(verdicts.last!.hasPrefix("control passed (") || verdicts.last!.hasPrefix("CONTROL FAILED ("), "\(verdicts)")
        let control = try #require(json["control"] as? [String: Any])
        #expect(control["passed"] is Bool, "the report says whether the control scored worse")
        #expect(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("bench/benchmark.json").path))
        let png = try Data(contentsOf: scratch.url.appendingPathComponent("bench/results.png"))
        let pdf = try Data(contentsOf: scratch.url.appendingPathComponent("bench/results.pdf"))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && png.count > 5000, "a drawn PNG")
        #expect(pdf.starts(with: Array("%PDF".utf8)))
        let markdown = try String(contentsOf: scratch.url.appendingPathComponent("bench/results.md"), encoding: .utf8)
        #expect(markdown.contains("| mixed_2x |") && markdown.contains("± "))

        // Mixed arms: all real pairs plus 0.5x, 1x, 2x as many synthetic ones.
        for (arm, synthetic) in [("real_only", 0), ("mixed_0.5x", 10), ("mixed_1x", 20), ("mixed_2x", 40)] {
            let run = try readRun("bench", arm, seed: 1)
            #expect(run.realPairs == Self.realTrain && run.syntheticPairs == synthetic, "\(arm)")
        }
        #expect(try readRun("bench", "synthetic_only", seed: 0).realPairs == 0)

        // The control: every synthetic image with another pair's mask, each mask used once, and the
        // same pairing for the same seed.
        for seed in 0..<3 {
            let control = try readRun("bench", "shuffled_control", seed: seed)
            #expect(control.images.count == 2 * Self.realTrain)
            for (image, mask) in zip(control.images, control.masks) {
                #expect(stem(image) != stem(mask), "\(image) kept its own mask")
                #expect(sourceMask(of: image) != sourceMask(of: mask), "\(image) got the mask of a pair with its source mask")
                #expect(image.contains("/syn/images/") || image.hasPrefix("syn/images/"))
            }
            #expect(Set(control.masks.map(stem)).count == control.masks.count)
            #expect(Set(control.masks.map(stem)) == Set(control.images.map(stem)))
        }
        let again = try SegMaDiffBinary.run(arguments("control-again", arms: "shuffled_control"), in: scratch.url)
        #expect(again.status == 0, "\(again.stderr)")
        for seed in 0..<3 {
            #expect(try readRun("control-again", "shuffled_control", seed: seed).masks == readRun("bench", "shuffled_control", seed: seed).masks)
        }
        #expect(try readRun("bench", "shuffled_control", seed: 0).masks != readRun("bench", "shuffled_control", seed: 1).masks)

        // Low-data arms: 10% / 25% of the real pairs, and only synthetic pairs whose source mask is
        // outside that subset, all of them; the output says how many were available.
        for (fraction, arm) in [(2, "low10"), (5, "low25")] {
            for seed in 0..<3 {
                let alone = try readRun("bench", "\(arm)_real", seed: seed)
                let mixed = try readRun("bench", "\(arm)_mixed", seed: seed)
                #expect(alone.realPairs == fraction && alone.syntheticPairs == 0)
                let subset = Set(alone.images.map { URL(fileURLWithPath: $0).lastPathComponent })
                #expect(Set(mixed.images.filter { $0.contains("data/img/train") }.map { URL(fileURLWithPath: $0).lastPathComponent }) == subset)
                let synthetic = mixed.images.filter { $0.contains("syn/images") }
                #expect(synthetic.count == mixed.syntheticPairs && synthetic.count == 2 * (Self.realTrain - fraction))
                for image in synthetic {
                    let source = sourceMask(of: image)
                    #expect(!subset.contains(source), "\(image) was made from \(source), a mask of the real subset")
                }
            }
        }
        #expect(result.stdout.contains("36 of 40 synthetic pairs were made from masks outside the 2-slice real subset"), "\(result.stdout)")

        // Resume: a second run trains nothing; with one result removed, only that run is redone.
        let resumed = try SegMaDiffBinary.run(arguments("bench"), in: scratch.url)
        #expect(resumed.status == 0 && resumed.stdout.contains("30 of 30 runs were finished before and skipped"), "\(resumed.stdout) \(resumed.stderr)")
        let kept = try Data(contentsOf: scratch.url.appendingPathComponent("bench/runs/mixed_1x/seed-0/result.json"))
        try FileManager.default.removeItem(at: scratch.url.appendingPathComponent("bench/runs/mixed_2x/seed-1/result.json"))
        let partly = try SegMaDiffBinary.run(arguments("bench"), in: scratch.url)
        #expect(partly.status == 0 && partly.stdout.contains("29 of 30 runs were finished before and skipped"), "\(partly.stdout)")
        #expect(partly.stdout.contains("mixed_2x seed 1: 20 real + 40 synthetic pairs"), "\(partly.stdout)")
        #expect(try Data(contentsOf: scratch.url.appendingPathComponent("bench/runs/mixed_1x/seed-0/result.json")) == kept)

        // Other settings in the same folder would mix two experiments: refused, naming the flag.
        let changed = try SegMaDiffBinary.run(arguments("bench", epochs: 3), in: scratch.url)
        #expect(changed.status == 2 && changed.stderr.contains("num_epochs") && changed.stderr.split(separator: "\n").count == 1, "\(changed.stderr)")
    }

    @Test func withoutManifestTheLowDataMixedArmsAreRefused() throws {
        try writeSynthetic(at: "bare", manifest: false)
        let refused = try SegMaDiffBinary.run(arguments("out", arms: "synthetic_only,low10_mixed", synthetic: "bare"), in: scratch.url)
        #expect(refused.status == 2, "\(refused.stdout)")
        let lines = refused.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("manifest.json") && lines[0].contains("low10_mixed"), "\(refused.stderr)")
        // The other arms work without it.
        let plain = try SegMaDiffBinary.run(arguments("out2", arms: "synthetic_only", epochs: 1, synthetic: "bare"), in: scratch.url)
        #expect(plain.status == 0, "\(plain.stderr)")
    }

    /// --synthetic_low: the low-data arms draw from that folder, the others from --synthetic.
    @Test func lowDataArmsDrawFromSyntheticLow() throws {
        try writeSynthetic(at: "syn-low", manifest: true, copies: 1)
        let flags = arguments("out", arms: "mixed_1x,low10_mixed", epochs: 1, seeds: 1) + ["--synthetic_low", "syn-low"]
        let result = try SegMaDiffBinary.run(flags, in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        let low = try readRun("out", "low10_mixed", seed: 0)
        let synthetic = low.images.filter { !$0.contains("data/img/train") }
        #expect(synthetic.count == Self.realTrain - 2 && synthetic.allSatisfy { $0.contains("syn-low/images") }, "\(synthetic)")
        let mixed = try readRun("out", "mixed_1x", seed: 0)
        #expect(mixed.images.filter { !$0.contains("data/img/train") }.allSatisfy { $0.contains("/syn/images") })
    }

    /// A benchmark begun with the real arms alone may take the synthetic folder later; the finished
    /// real runs are kept.
    @Test func realArmsCanBeContinuedWithSyntheticOnes() throws {
        var realOnly = arguments("grow", arms: "real_only", epochs: 1, seeds: 1)
        let at = try #require(realOnly.firstIndex(of: "--synthetic"))
        realOnly.removeSubrange(at...(at + 1))
        let first = try SegMaDiffBinary.run(realOnly, in: scratch.url)
        #expect(first.status == 0, "\(first.stderr)")
        let more = try SegMaDiffBinary.run(arguments("grow", arms: "real_only,synthetic_only", epochs: 1, seeds: 1), in: scratch.url)
        #expect(more.status == 0 && more.stdout.contains("1 of 2 runs were finished before and skipped"), "\(more.stdout) \(more.stderr)")
    }

    @Test func synthesisFromHeldOutMasksIsRefused() throws {
        let manifest = scratch.url.appendingPathComponent("syn/manifest.json")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: manifest)) as? [String: Any])
        object["mask_split"] = "test"
        try JSONSerialization.data(withJSONObject: object).write(to: manifest)
        let refused = try SegMaDiffBinary.run(arguments("out"), in: scratch.url)
        #expect(refused.status == 2 && refused.stderr.contains("test split") && refused.stderr.contains("--split train"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("out").path))
    }

    private func stem(_ path: String) -> String { URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }

    /// syn_case07_1.png was made from case07.png.
    private func sourceMask(of image: String) -> String {
        let name = stem(image)
        return String(name.dropFirst("syn_".count).dropLast(2)) + ".png"
    }
}
