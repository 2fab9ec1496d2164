import Foundation
import Torch

/// Everything besides the published weights that a resumed run needs to continue with the same
/// numbers: where it stopped, the optimizer moments, the EMA and raw weights, the random state.
/// `tensors.safetensors` is written first and `state.json` last, naming the step it belongs to, so a
/// crash between the two leaves the previous state.json, which then refuses the newer tensors.
public struct TrainingState: Codable, Equatable, Sendable {
    public static let recordName = "state.json"
    static let tensorsName = "tensors.safetensors"

    /// Epochs fully completed.
    public var epoch: Int
    /// Batches already done in epoch `epoch` (0 at an epoch boundary).
    public var batchInEpoch: Int
    /// Optimizer steps over the whole run.
    public var globalStep: Int
    public var seed: UInt64
    public var segmadiffVersion: String
    /// Processes that trained it (absent in states written before data-parallel training).
    public var worldSize: Int?
    /// Samples per optimizer step over all processes: a run stopped mid-epoch can only continue
    /// with the same, since its position in the epoch counts such batches.
    public var globalBatchSize: Int?

    enum CodingKeys: String, CodingKey {
        case epoch
        case batchInEpoch = "batch_in_epoch"
        case globalStep = "global_step"
        case seed
        case segmadiffVersion = "segmadiff_version"
        case worldSize = "world_size"
        case globalBatchSize = "global_batch_size"
    }

    public init(epoch: Int, batchInEpoch: Int, globalStep: Int, seed: UInt64, segmadiffVersion: String) {
        self.epoch = epoch
        self.batchInEpoch = batchInEpoch
        self.globalStep = globalStep
        self.seed = seed
        self.segmadiffVersion = segmadiffVersion
    }

    /// `afterEachFile` runs after each of the two files (the checkpoint writer's test hook).
    public func save(tensors: [String: Tensor], in folder: URL, afterEachFile: () -> Void = {}) throws {
        try Safetensors.save(tensors, to: folder.appendingPathComponent(Self.tensorsName).path,
                             metadata: ["global_step": "\(globalStep)"])
        afterEachFile()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self) + Data([0x0A]), to: folder.appendingPathComponent(Self.recordName).path)
        afterEachFile()
    }

    public struct LoadError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Reads the state and its tensors, checking that they belong together.
    public static func load(from folder: URL) throws -> (TrainingState, [String: Tensor]) {
        let record = folder.appendingPathComponent(recordName)
        let state: TrainingState
        do {
            state = try JSONDecoder().decode(TrainingState.self, from: Data(contentsOf: record))
        } catch {
            throw LoadError(description: "\(record.path) is unreadable (\(error)); start again with --overwrite")
        }
        let file = try Safetensors.File(path: folder.appendingPathComponent(tensorsName).path)
        guard file.metadata["global_step"] == "\(state.globalStep)" else {
            throw LoadError(description: "\(file.path) belongs to step \(file.metadata["global_step"] ?? "?"), but \(record.path) to step \(state.globalStep): the run stopped while saving; start again with --overwrite")
        }
        return (state, file.tensors())
    }
}
