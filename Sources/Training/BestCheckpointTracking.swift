import Foundation
import Torch

/// When to validate, and how a new best validation value becomes `OUTPUT/best`.
extension TrainingSession {
    /// After `epoch` (0-based): the validation metrics when they are due (the loss, and the Dice of
    /// sampled images with `--val_segmenter`), logged to TensorBoard, train.log and
    /// logs/validation.jsonl; returns the `--best_metric` value when it is a new best (the caller
    /// then saves a checkpoint of this step, if the epoch does not already). Rank 0 alone
    /// evaluates; with several processes its verdict is shared, so all of them take the same
    /// checkpoint decision.
    func validateIfDue(epoch: Int, last: Bool) throws -> Double? {
        let every = options.validateEveryEpochs
        guard every > 0, (epoch + 1) % every == 0 || last else { return nil }
        var newBest: Double?
        if isMain {
            var values: [String: Double] = [ValidationMetric.loss.rawValue: try validationLoss()]
            if let scorer = options.validationScorer {
                // No foreground anywhere has no Dice; NaN keeps the row and never wins.
                values[ValidationMetric.dice.rawValue] = try validationDice(scorer) ?? .nan
            }
            let metric = options.bestMetric
            let value = values[metric.rawValue] ?? .nan
            let improved = metric.improves(value, on: best?.value)
            if improved { newBest = value }
            log?.scalars(values, step: globalStep)
            let shown = values.keys.sorted().map { String(format: "%@ %.6g", $0, values[$0]!) }.joined(separator: "  ")
            let previous = best.map { String(format: "; best %@ %.6g at step %d", metric.rawValue, $0.value, $0.step) } ?? ""
            log?.line("epoch \(epoch + 1)  \(shown)" + (improved ? " (new best)" : previous))
            try appendHistory(epoch: epoch, values: values)
        }
        guard let group else { return newBest }
        let verdict = Tensor([newBest ?? .nan], shape: [1])
        try group.broadcast([verdict], from: 0)
        let shared = verdict.scalars(as: Double.self)[0]
        return shared.isNaN ? nil : shared
    }

    /// Points `best` at the checkpoint just committed for this step (rank 0).
    func keepAsBest(_ value: Double, epoch: Int) throws {
        guard isMain, let name = BestCheckpoint.target(of: folder.latest) else { return }
        let record = BestCheckpoint(metric: options.bestMetric, value: value, step: globalStep, epoch: epoch + 1, folderName: name)
        try record.commit(in: folder)
        best = record
    }

    private func appendHistory(epoch: Int, values: [String: Double]) throws {
        // JSON has no NaN: a Dice with no foreground to compare is written as null.
        var row: [String: Any] = ["epoch": epoch + 1, "step": globalStep]
        for (name, value) in values { row[name] = value.isFinite ? value : NSNull() }
        let line = try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys])
        let url = folder.validationHistory
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line + Data("\n".utf8))
    }
}

extension TrainingSession {
    /// A fresh run starts without a best; a resumed one continues its record, unless it was kept
    /// by another metric than `--best_metric` now asks for: values of two metrics do not compare,
    /// so the next validation takes over the link.
    func recallBest(resumed: Bool) throws {
        guard resumed else { return try BestCheckpoint.remove(from: folder) }
        best = BestCheckpoint.read(folder)
        if let kept = best, kept.metric != options.bestMetric {
            log?.line("best/ was kept by \(kept.metric.rawValue); from the next validation it follows \(options.bestMetric.rawValue)")
            best = nil
        }
    }
}
