import Datasets
import Foundation
import ModelCard
import Models
import Torch
import Training

/// A small generated data set (discs with a two-level label map on a noisy background) and the
/// options of a tiny guided model trained on it: quick enough for end-to-end tests.
public enum TinyRun {
    public static let size = 16

    /// Writes img/{train,val,test} and mask/all/{...} PNGs under `root`.
    public static func writeDataset(in root: URL, counts: [Split: Int] = [.train: 6, .val: 2, .test: 2]) throws {
        let generator = Generator(seed: 5)
        for (split, count) in counts {
            for directory in ["img/\(split.rawValue)", "mask/all/\(split.rawValue)"] {
                try FileManager.default.createDirectory(at: root.appendingPathComponent(directory), withIntermediateDirectories: true)
            }
            for index in 0..<count {
                let labels = disc(seedTensor: Tensor.rand([3], generator: generator))
                let noise = Tensor.randn([1, size, size], generator: generator) * 8
                let image = (labels.to(.float32) * 70 + 50 + noise).clamped(min: 0, max: 255).rounded().to(.uint8)
                let name = String(format: "case%02d.png", index)
                try PixelCodec.encodePNG(image).write(to: root.appendingPathComponent("img/\(split.rawValue)/\(name)"))
                try PixelCodec.encodePNG(labels.to(.uint8)).write(to: root.appendingPathComponent("mask/all/\(split.rawValue)/\(name)"))
            }
        }
    }

    /// A [1, S, S] label map: 1 inside a disc, 2 in its inner half.
    private static func disc(seedTensor: Tensor) -> Tensor {
        let r = seedTensor.scalars(as: Float.self)
        let cx = 5 + Double(r[0]) * 6, cy = 5 + Double(r[1]) * 6, radius = 3 + Double(r[2]) * 2
        let coordinates = Tensor.arange(0, Double(size), TensorOptions(.float32))
        let dx = (coordinates - cx).squared().reshaped(1, size)
        let dy = (coordinates - cy).squared().reshaped(size, 1)
        let distance = dx + dy
        let outer = distance.lt(radius * radius).to(.int64)
        let inner = distance.lt(radius * radius / 4).to(.int64)
        return (outer + inner).reshaped(1, size, size)
    }

    public static func options(data root: URL, output: URL, epochs: Int = 2, emaDecay: Double = 0.9,
                        resume: TrainingOptions.Resume = .no) -> TrainingOptions {
        let data = DatasetOptions(imageDirectory: root.appendingPathComponent("img").path,
                                  maskDirectory: root.appendingPathComponent("mask").path, splits: [.train, .val],
                                  imageChannels: 1, segmentationClasses: 3, imageSize: size)
        let unet = UNetConfig.segmadiff(sampleSize: size, inChannels: 2, outChannels: 1, layersPerBlock: 1,
                                        blockOutChannels: [32, 64])
        var mdformer = MDFormerConfig(variant: .segmadiff)
        mdformer.expand = 1
        let card = ModelCard(mdformer: mdformer, numSegmentationClasses: 3)
        return TrainingOptions(outputDirectory: output.path, data: data, unet: unet, card: card, guided: true,
                               ablation: true, modelType: .ddim, sampler: .ddim, inferenceSteps: 2,
                               trainBatchSize: 4, evalBatchSize: 2, epochs: epochs, learningRate: 1e-3, warmupSteps: 2,
                               saveImageEpochs: 1, saveModelEpochs: 1, emaDecay: emaDecay, seed: 11, resume: resume)
    }

    /// The published weights of a run folder.
    public static func weights(_ output: URL) throws -> [String: [UInt8]] {
        try Safetensors.load(output.appendingPathComponent("unet/diffusion_pytorch_model.safetensors").path).mapValues { $0.bytes() }
    }
}
