import Foundation
import Torch

/// The files of one run (docs/architecture.md §10), in the seed's checkpoint layout plus segmadiff's additions:
/// `unet/`, `scheduler/`, `model_index.json`, `training_state/`, `samples/`, `logs/`, `run.json`.
/// In a training run the first four are fixed links into `latest/`, itself a link to the committed
/// `checkpoints/step-NNNNNNNN/` (see CheckpointWriter), so readers see the seed's layout.
public struct RunFolder: Sendable {
    public let root: URL

    public init(_ path: String) { root = URL(fileURLWithPath: path).standardizedFileURL }

    public var path: String { root.path }
    public var unet: URL { root.appendingPathComponent("unet") }
    public var scheduler: URL { root.appendingPathComponent("scheduler") }
    public var modelIndex: URL { root.appendingPathComponent("model_index.json") }
    public var trainingState: URL { root.appendingPathComponent("training_state") }
    public var samples: URL { root.appendingPathComponent("samples") }
    public var logs: URL { root.appendingPathComponent("logs") }
    public var runRecord: URL { root.appendingPathComponent("run.json") }
    public var checkpoints: URL { root.appendingPathComponent("checkpoints") }
    /// The link that commits a checkpoint: replaced atomically, it switches every part at once.
    public var latest: URL { root.appendingPathComponent("latest") }
    /// `--val_every_epochs`: the link to the checkpoint with the lowest validation loss, and its record.
    public var best: URL { root.appendingPathComponent("best") }
    public var bestRecord: URL { root.appendingPathComponent("best.json") }
    /// `--val_every_epochs`: one JSON line per evaluation (epoch, step, val_loss).
    public var validationHistory: URL { logs.appendingPathComponent("validation.jsonl") }
    /// flock'ed while a process trains or samples into the folder (RunLock).
    public var lockFile: URL { root.appendingPathComponent(".lock") }

    public func samplesMany(_ count: Int) -> URL { root.appendingPathComponent("samples_many_\(count)") }

    /// Whether a model checkpoint (unet weights) is already here.
    public var hasCheckpoint: Bool {
        FileManager.default.fileExists(atPath: unet.appendingPathComponent("diffusion_pytorch_model.safetensors").path)
    }

    public var hasTrainingState: Bool {
        FileManager.default.fileExists(atPath: trainingState.appendingPathComponent(TrainingState.recordName).path)
    }

    /// The pipeline index diffusers writes beside the unet and scheduler folders.
    public func writeModelIndex(guided: Bool, ddim: Bool) throws {
        let pipeline = guided ? (ddim ? "SegGuidedDDIMPipeline" : "SegGuidedDDPMPipeline") : (ddim ? "DDIMPipeline" : "DDPMPipeline")
        var index: [String: Any] = [
            "_class_name": pipeline,
            "_diffusers_version": "0.21.4",
            "scheduler": ["diffusers", ddim ? "DDIMScheduler" : "DDPMScheduler"],
            "unet": ["diffusers", "UNet2DModel"],
        ]
        if guided && ddim {
            index["eval_dataloader"] = [NSNull(), NSNull()]
            index["external_config"] = [NSNull(), NSNull()]
        }
        try writeJSON(index, to: modelIndex)
    }
}

/// JSON as diffusers writes it: sorted keys, indent 2, trailing newline; atomically.
public func writeJSON(_ object: Any, to url: URL) throws {
    var data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    data.append(0x0A)
    try AtomicFile.write(data, to: url.path)
}
