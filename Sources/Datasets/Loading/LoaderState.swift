/// Where a loader stands: saved with a checkpoint, it resumes the exact same batches.
public struct LoaderState: Codable, Equatable, Sendable {
    public var epoch: Int
    /// The index (within `epoch`) of the next batch to hand out.
    public var batch: Int
    /// The shuffling and ablation seed; with (epoch, batch) it fixes every later batch.
    public var seed: UInt64

    public init(epoch: Int = 0, batch: Int = 0, seed: UInt64) {
        self.epoch = epoch
        self.batch = batch
        self.seed = seed
    }
}
