import Foundation
import Torch

/// `OUTPUT/best`: the checkpoint with the best validation value so far (`--best_metric`: the lowest
/// loss or the highest Dice of sampled images), beside `latest`.
///
/// Like `latest`, it is a relative link to a committed `checkpoints/step-N` folder, replaced
/// atomically, so `--checkpoint_dir OUTPUT/best` holds the seed's layout (unet/, scheduler/,
/// model_index.json) and every eval mode loads it. Pruning keeps the folder it names.
/// `OUTPUT/best.json` says what it is: the metric, its value, the step and epoch; written after the
/// link, so a crash between the two leaves a record that names the previous best, which the next
/// improvement replaces.
struct BestCheckpoint: Equatable {
    var metric: ValidationMetric
    var value: Double
    var step: Int
    var epoch: Int
    /// The committed step folder's name under checkpoints/.
    var folderName: String

    /// The record of a run, if it has one and its link still stands.
    static func read(_ folder: RunFolder) -> BestCheckpoint? {
        guard let data = try? Data(contentsOf: folder.bestRecord),
              let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
              let value = object["value"] as? Double, let step = object["step"] as? Int,
              let epoch = object["epoch"] as? Int, let name = object["checkpoint"] as? String,
              CheckpointLayout.exists(folder.best) else { return nil }
        // Records written before Dice could choose hold the loss.
        guard let metric = ValidationMetric(rawValue: object["metric"] as? String ?? ValidationMetric.loss.rawValue) else { return nil }
        return BestCheckpoint(metric: metric, value: value, step: step, epoch: epoch, folderName: name)
    }

    /// The step folder a link names (`checkpoints/step-N` -> `step-N`).
    static func target(of link: URL) -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: link.path)).map { ($0 as NSString).lastPathComponent }
    }

    /// Makes this the run's best: the link first, then its record.
    func commit(in folder: RunFolder) throws {
        try CheckpointLayout.replaceLink(folder.best, pointingTo: "checkpoints/" + folderName)
        try AtomicFile.syncDirectory(folder.root.path)
        try writeJSON(["metric": metric.rawValue, "value": value, "step": step, "epoch": epoch, "checkpoint": folderName,
                       "lower_is_better": !metric.higherIsBetter], to: folder.bestRecord)
    }

    /// A run started again (--overwrite) begins without a best.
    static func remove(from folder: RunFolder) throws {
        let manager = FileManager.default
        if CheckpointLayout.isLink(folder.best) { try manager.removeItem(at: folder.best) }
        if manager.fileExists(atPath: folder.bestRecord.path) { try manager.removeItem(at: folder.bestRecord) }
    }
}
