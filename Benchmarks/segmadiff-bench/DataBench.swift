import Datasets
import Foundation
import Torch

/// Samples per second decoded and preprocessed (PNG -> resized image in [-1, 1] and mask labels),
/// through the prefetching loader, on a folder of grey PNGs with masks. bench/data_ref.py runs the
/// reference's PIL pipeline on the same folder.
enum DataBench {
    static func run(folder: String, count: Int, source: Int, size: Int, batch: Int, epochs: Int, threads: Int) -> [String: Any] {
        Engine.threads = threads
        if !FileManager.default.fileExists(atPath: folder + "/images/train") {
            makeFolder(folder, count: count, source: source)
        }
        let options = DatasetOptions(imageDirectory: folder + "/images", maskDirectory: folder + "/masks",
                                     splits: [.train], segmentationClasses: 4, imageSize: size)
        let validationStart = Date()
        let dataset = try! Dataset.open(options)
        let validation = Date().timeIntervalSince(validationStart)

        let loader = Loader(dataset, split: .train, options: LoaderOptions(batchSize: batch, seed: 0, prefetchBatches: 4))
        var best = Double.infinity
        var samples = 0
        for _ in 0..<epochs {
            let start = Date()
            samples = 0
            while let next = try! loader.next() { samples += next.count }
            best = min(best, Date().timeIntervalSince(start))
        }
        return [
            "bench": "data", "impl": "segmadiff", "samples": samples, "size": size, "source_size": source,
            "batch": batch, "threads": threads, "samples_per_s": Double(samples) / best,
            "ms_per_sample": 1000 * best / Double(samples), "validation_s": validation,
        ]
    }

    /// `count` smooth, noisy grey PNGs of source x source with 4-class masks, as a scan would be.
    static func makeFolder(_ folder: String, count: Int, source: Int) {
        let generator = Generator(seed: 0)
        let axis = Tensor.linspace(0, 12, count: source).reshaped(1, source)
        for i in 0..<count {
            let picture = (axis + Double(i) * 0.1).sin() * axis.transposed(0, 1).cos() * 60 + 120
            let noisy = picture + Tensor.randn([source, source], generator: generator) * 12
            let image = noisy.clamped(min: 0, max: 255).rounded().to(.uint8).unsqueezed(0)
            let labels = ((picture - 60) / 30).floor().clamped(min: 0, max: 3).to(.uint8).unsqueezed(0)
            let name = String(format: "scan_%04d.png", i)
            try! ImageFile.writePNG(image, to: "\(folder)/images/train/\(name)")
            try! ImageFile.writePNG(labels, to: "\(folder)/masks/all/train/\(name)")
        }
    }
}
