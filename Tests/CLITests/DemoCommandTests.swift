import Foundation
import TestSupport
import Testing

/// The demo end to end on the synthetic phantom at a tiny size: every step runs and leaves its files,
/// and every score comes with its spread over the seeds.
@Suite struct DemoCommandTests {
    @Test func demoRunsEveryStepOnThePhantom() throws {
        let scratch = TemporaryFolder()
        let result = try SegMaDiffBinary.run(["demo", "--phantom", "--img_size", "16", "--num_epochs", "1",
                                              "--segmenter_epochs", "1", "--threads", "1", "--seeds", "2", "--seed", "4",
                                              "--output_dir", "demo"],
                                             in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("SYNTHETIC head phantom"))
        #expect(result.stdout.contains("$ segmadiff --mode train"))
        // It says how the splits were kept apart, and reports test Dice, never val Dice, as accuracy.
        #expect(result.stdout.contains("split by image"))
        #expect(result.stdout.contains("segmenter Dice on real test slices") && !result.stdout.contains("val Dice 0"))
        #expect(result.stdout.contains("over seeds 4, 5"))
        // It ends with the command that opens its run in the studio.
        #expect(result.stdout.contains("segmadiff studio --runs \(scratch.url.appendingPathComponent("demo").path) --data "))
        // The folder is marked as the demo's, so that only a demo may later reuse it.
        #expect(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("demo/.segmadiff-demo").path))
        let demo = scratch.url.appendingPathComponent("demo")
        for file in ["model/samples/-001.png", "model/mask_removal.png", "model/mask_removal.pdf", "results.json"]
            + [4, 5].flatMap({ ["seeds/seed-\($0)/samples_many_32/manifest.json", "seeds/seed-\($0)/samples_many_32/metrics.json",
                                "seeds/seed-\($0)/segmenter/segmenter.json"] }) {
            #expect(FileManager.default.fileExists(atPath: demo.appendingPathComponent(file).path), "\(file)")
        }
        let masks = try FileManager.default.contentsOfDirectory(atPath: demo.appendingPathComponent("seeds/seed-5/samples_many_32/masks").path)
        #expect(masks.count == 32)
        // The second seed sampled other images than the first.
        let first = try Data(contentsOf: demo.appendingPathComponent("seeds/seed-4/samples_many_32/phantom_136.png"))
        let second = try Data(contentsOf: demo.appendingPathComponent("seeds/seed-5/samples_many_32/phantom_136.png"))
        #expect(first != second)

        let results = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: demo.appendingPathComponent("results.json"))) as? [String: Any])
        #expect(results["seeds"] as? [Int] == [4, 5])
        #expect((results["per_seed"] as? [Any])?.count == 2)
        let summary = try #require(results["summary"] as? [String: Any])
        for key in ["segmenter_test_dice", "generated_dice", "kid"] {
            let entry = try #require(summary[key] as? [String: Any], "\(key)")
            #expect(entry["n"] as? Int == 2 && entry["mean"] is Double && entry["std"] is Double, "\(key): \(entry)")
        }
        // 32 generated and 16 real images of 128-d features: no FID, and the reason is recorded.
        #expect((summary["fid"] as? [String: Any])?["mean"] is NSNull)
        let perSeed = try #require((results["per_seed"] as? [[String: Any]])?.first)
        #expect((perSeed["fid_note"] as? String)?.contains("full-rank") == true)
        #expect(((results["split"] as? [String: Any])?["slices"] as? [String: Int]) == ["train": 120, "val": 16, "test": 16])
    }
}
