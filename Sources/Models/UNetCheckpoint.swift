import Foundation
import ModelCard
import Torch

/// A U-Net in the seed's checkpoint layout: a `unet/` folder holding diffusers' config.json, the
/// weights as diffusion_pytorch_model.safetensors and, for models segmadiff wrote, segmadiff.json.
public struct UNetCheckpoint {
    public static let weightsFileName = "diffusion_pytorch_model.safetensors"

    public let model: UNet2DModel
    /// The folder's segmadiff.json, or nil for a checkpoint of the Python reference.
    public let card: ModelCard?

    /// Loads SegMaDiff checkpoints, plain diffusers UNet2DModel ones and legacy attention names.
    /// Without segmadiff.json the MDFormer, if any, is read off the keys (`reference` unless the
    /// DynamicTanh keys or a per-channel A_log say otherwise). Errors name the file and the key.
    public static func load(from folder: URL, device: Device = .cpu) throws -> UNetCheckpoint {
        let configURL = folder.appendingPathComponent(UNetConfig.fileName)
        let weightsURL = folder.appendingPathComponent(weightsFileName)
        let cardURL = folder.appendingPathComponent(ModelCard.fileName)
        let config = try UNetConfig.read(from: configURL)
        let weights = try Safetensors.File(path: weightsURL.path)
        var card: ModelCard?
        if FileManager.default.fileExists(atPath: cardURL.path) {
            do {
                card = try ModelCard.read(from: cardURL)
            } catch {
                throw ModelFileError(file: cardURL.path, "cannot be read (\(error))")
            }
            try card?.validate(file: cardURL.path)
        }
        let mdformer = card.map(\.mdformer) ?? inferMDFormer(weights, midChannels: config.blockOutChannels.last!)
        if card == nil { try mdformer?.validate(file: weightsURL.path) }
        let model = UNet2DModel(config: config, mdformer: mdformer)
        var stateDict: [String: Tensor] = [:]
        for key in weights.keys {
            let tensor = weights.tensor(key)!
            // One pass over each weight: a NaN or infinity (a diverged or damaged checkpoint) would
            // otherwise turn every sample into NaN without a word.
            if tensor.dtype.isFloatingPoint, tensor.count > 0, tensor.isFinite().all().item == 0 {
                throw ModelFileError(file: weightsURL.path, "weight \(key) holds NaN or infinite values; the checkpoint is damaged or training diverged: use an earlier checkpoint or train again (with a lower --learning_rate)")
            }
            stateDict[LegacyAttentionNames.current(key)] = tensor
        }
        do {
            try model.load(stateDict: stateDict)
        } catch let mismatch as StateDictMismatch {
            let describedBy = card == nil ? configURL.lastPathComponent : "\(configURL.lastPathComponent) and \(ModelCard.fileName)"
            throw ModelFileError(file: weightsURL.path, "does not fit the model of \(describedBy): \(mismatch)")
        }
        if device != .cpu { model.move(to: device) }
        return UNetCheckpoint(model: model, card: card)
    }

    /// Writes config.json, the weights (current key names) and, when `card` is given, segmadiff.json
    /// with the model's MDFormer settings. Each file is written atomically; `afterEachFile` runs
    /// after each (the checkpoint writer's test hook).
    public static func save(_ model: UNet2DModel, card: ModelCard?, to folder: URL, afterEachFile: () -> Void = {}) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try AtomicFile.write(model.config.jsonText, to: folder.appendingPathComponent(UNetConfig.fileName).path)
        afterEachFile()
        let weights = model.stateDict().mapValues { $0.detached() }
        try Safetensors.save(weights, to: folder.appendingPathComponent(weightsFileName).path, metadata: ["format": "pt"])
        afterEachFile()
        if var card {
            card.mdformer = model.mdformerConfig
            try AtomicFile.write(try card.encoded(), to: folder.appendingPathComponent(ModelCard.fileName).path)
            afterEachFile()
        }
    }

    /// The MDFormer of the checkpoint in `folder` as its weights' keys say (for a checkpoint without
    /// segmadiff.json; nil when it has none or its weights cannot be read, which loading reports).
    public static func mdformerOfWeights(in folder: URL, midChannels: Int) -> MDFormerConfig? {
        guard let weights = try? Safetensors.File(path: folder.appendingPathComponent(weightsFileName).path) else { return nil }
        return inferMDFormer(weights, midChannels: midChannels)
    }

    /// What the keys of a checkpoint without segmadiff.json say about its MDFormer.
    static func inferMDFormer(_ weights: Safetensors.File, midChannels: Int) -> MDFormerConfig? {
        let prefix = "mid_block.MDFormer."
        guard weights.keys.contains(where: { $0.hasPrefix(prefix) }) else { return nil }
        var config = MDFormerConfig(variant: .reference)
        let aLog = weights.shape(prefix + "A_log")
        if weights.shape(prefix + "dyt_alpha") != nil || aLog?.count == 2 { config.variant = .segmadiff }
        if let states = aLog?.last { config.dState = states }
        if let channels = weights.shape(prefix + "D")?.first, channels % midChannels == 0 {
            config.expand = channels / midChannels
        }
        if let kernel = weights.shape(prefix + "dw_conv.weight"), kernel.count == 4 { config.kernelSize = kernel[2] }
        return config
    }
}
