import Foundation
import Torch
import Training

/// A trained segmentation U-Net with what it needs to be used again: labels images, and gives the
/// feature vectors the distribution distances compare.
///
///     let segmenter = try Segmenter.load(from: URL(fileURLWithPath: "run/segmenter"))
///     let labels = segmenter.segment(images)       // [B, C, S, S] in [-1, 1] -> [B, S, S] int64
public final class Segmenter {
    public static let weightsFile = "segmenter.safetensors"
    public static let configFile = "segmenter.json"
    /// The folder `train-segmenter` writes under its output directory.
    public static let folderName = "segmenter"

    public internal(set) var config: SegmenterConfig
    public let device: Device
    let network: SegmentationUNet

    /// A new, untrained segmenter; its weights are drawn from libtorch's default generator, which
    /// the caller seeds (`Engine.manualSeed`).
    public init(config: SegmenterConfig, device: Device = .cpu) throws {
        if let problem = config.problem { throw UsageError(problem) }
        self.config = config
        self.device = device
        network = SegmentationUNet(config)
        if device != .cpu { network.to(device) }
    }

    public var parameterCount: Int { network.parameterCount }

    /// Labels [B, S, S] int64 (on the CPU) of images [B, C, S, S] in [-1, 1] at `config.imageSize`.
    public func segment(_ images: Tensor) -> Tensor { run(images).labels }

    /// Bottleneck features [B, D] float32 (on the CPU), averaged over space.
    public func features(_ images: Tensor) -> Tensor { run(images).features }

    /// Both at once, from one forward pass.
    public func run(_ images: Tensor) -> (labels: Tensor, features: Tensor) {
        withNoGrad {
            let output = network(images.to(device))
            let labels = output.logits.argmax(dim: 1).to(.cpu)
            let features = output.bottleneck.mean(dims: [2, 3]).to(.cpu)
            return (labels, features)
        }
    }

    /// Writes the weights and segmenter.json into `folder`, replacing what was there only once both
    /// files are complete: they are written to a sibling folder that is then renamed into place.
    public func save(to folder: URL) throws {
        let files = FileManager.default
        let parent = folder.deletingLastPathComponent()
        try OutputFolder.create(parent)
        let staging = parent.appendingPathComponent(".\(folder.lastPathComponent).partial-\(getpid())")
        try? files.removeItem(at: staging)
        try files.createDirectory(at: staging, withIntermediateDirectories: false)
        let weights = network.stateDict().mapValues { $0.to(.cpu) }
        try Safetensors.save(weights, to: staging.appendingPathComponent(Self.weightsFile).path,
                             metadata: ["format": "pt", "written_by": "segmadiff train-segmenter"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var json = try encoder.encode(config)
        json.append(0x0A)
        try AtomicFile.write(json, to: staging.appendingPathComponent(Self.configFile).path)
        if files.fileExists(atPath: folder.path) {
            let old = parent.appendingPathComponent(".\(folder.lastPathComponent).old-\(getpid())")
            try? files.removeItem(at: old)
            try files.moveItem(at: folder, to: old)
            try files.moveItem(at: staging, to: folder)
            try? files.removeItem(at: old)
        } else {
            try files.moveItem(at: staging, to: folder)
        }
    }

    /// Reads a segmenter folder (OUT/segmenter), or the output folder above it (OUT).
    public static func load(from path: URL, device: Device = .cpu) throws -> Segmenter {
        let folder = resolvedFolder(path)
        let configURL = folder.appendingPathComponent(configFile)
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw UsageError("\(path.path) holds no segmenter (\(configFile)); train one with segmadiff train-segmenter")
        }
        let config: SegmenterConfig
        do {
            config = try JSONDecoder().decode(SegmenterConfig.self, from: Data(contentsOf: configURL))
        } catch {
            throw UsageError("\(configURL.path) cannot be read as a segmenter config (\(error)); train the segmenter again")
        }
        let segmenter = try Segmenter(config: config, device: device)
        let weightsURL = folder.appendingPathComponent(weightsFile)
        do {
            let weights = try Safetensors.load(weightsURL.path, on: device)
            try segmenter.network.load(stateDict: weights)
        } catch {
            throw UsageError("\(weightsURL.path) does not hold this segmenter's weights (\(error)); train the segmenter again")
        }
        return segmenter
    }

    static func resolvedFolder(_ path: URL) -> URL {
        let nested = path.appendingPathComponent(folderName)
        let hasOwnConfig = FileManager.default.fileExists(atPath: path.appendingPathComponent(configFile).path)
        let hasNested = FileManager.default.fileExists(atPath: nested.appendingPathComponent(configFile).path)
        return !hasOwnConfig && hasNested ? nested : path
    }
}
