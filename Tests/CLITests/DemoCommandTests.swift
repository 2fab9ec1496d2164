import Foundation
import TestSupport
import Testing

/// The demo end to end on the synthetic phantom at a tiny size: every step runs and leaves its files.
@Suite struct DemoCommandTests {
    @Test func demoRunsEveryStepOnThePhantom() throws {
        let scratch = TemporaryFolder()
        let result = try SegMaDiffBinary.run(["demo", "--phantom", "--img_size", "16", "--num_epochs", "1",
                                              "--segmenter_epochs", "1", "--threads", "1", "--output_dir", "demo"],
                                             in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("SYNTHETIC head phantom"))
        #expect(result.stdout.contains("$ segmadiff --mode train"))
        // The folder is marked as the demo's, so that only a demo may later reuse it.
        #expect(FileManager.default.fileExists(atPath: scratch.url.appendingPathComponent("demo/.segmadiff-demo").path))
        let model = scratch.url.appendingPathComponent("demo/model")
        for file in ["samples/-001.png", "mask_removal.png", "mask_removal.pdf", "samples_many_32/manifest.json",
                     "samples_many_32/metrics.json", "segmenter/segmenter.json"] {
            #expect(FileManager.default.fileExists(atPath: model.appendingPathComponent(file).path), "\(file)")
        }
        let masks = try FileManager.default.contentsOfDirectory(atPath: model.appendingPathComponent("samples_many_32/masks").path)
        #expect(masks.count == 32)
        let metrics = try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("samples_many_32/metrics.json"))) as! [String: Any]
        #expect((metrics["dice"] as? [String: Any])?["mean"] != nil)
    }
}
