import Foundation
import Torch

/// When to validate, and how a new lowest validation loss becomes `OUTPUT/best`.
extension TrainingSession {
    /// After `epoch` (0-based): the validation loss when one is due, logged to TensorBoard
    /// (`val_loss`), train.log and logs/validation.jsonl; returns it when it is a new best (the
    /// caller then saves a checkpoint of this step, if the epoch does not already). Rank 0 alone
    /// evaluates; with several processes its verdict is shared, so all of them take the same
    /// checkpoint decision.
    func validateIfDue(epoch: Int, last: Bool) throws -> Double? {
        let every = options.validateEveryEpochs
        guard every > 0, (epoch + 1) % every == 0 || last else { return nil }
        var newBest: Double?
        if isMain {
            let loss = try validationLoss()
            let improved = loss.isFinite && (best.map { loss < $0.value } ?? true)
            if improved { newBest = loss }
            log?.scalars(["val_loss": loss], step: globalStep)
            let previous = best.map { String(format: "; best %.6g at step %d", $0.value, $0.step) } ?? ""
            log?.line(String(format: "epoch %d  val_loss %.6g%@", epoch + 1, loss, improved ? " (new best)" : previous))
            try appendHistory(epoch: epoch, loss: loss)
        }
        guard let group else { return newBest }
        let verdict = Tensor([newBest ?? .nan], shape: [1])
        try group.broadcast([verdict], from: 0)
        let shared = verdict.scalars(as: Double.self)[0]
        return shared.isNaN ? nil : shared
    }

    /// Points `best` at the checkpoint just committed for this step (rank 0).
    func keepAsBest(_ loss: Double, epoch: Int) throws {
        guard isMain, let name = BestCheckpoint.target(of: folder.latest) else { return }
        let record = BestCheckpoint(value: loss, step: globalStep, epoch: epoch + 1, folderName: name)
        try record.commit(in: folder)
        best = record
    }

    private func appendHistory(epoch: Int, loss: Double) throws {
        let line = try JSONSerialization.data(withJSONObject: ["epoch": epoch + 1, "step": globalStep, "val_loss": loss], options: [.sortedKeys])
        let url = folder.validationHistory
        if !FileManager.default.fileExists(atPath: url.path) { FileManager.default.createFile(atPath: url.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line + Data("\n".utf8))
    }
}
