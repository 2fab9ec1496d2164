import Dispatch
import Torch

/// Where a batch sits in the stream of epochs.
struct BatchPosition: Hashable {
    var epoch: Int
    var index: Int

    /// The batch after this one: the next epoch's first after an epoch's last.
    func next(batchesPerEpoch: Int) -> BatchPosition {
        index + 1 < batchesPerEpoch ? BatchPosition(epoch: epoch, index: index + 1) : BatchPosition(epoch: epoch + 1, index: 0)
    }
}

/// Decodes the samples of coming batches on all cores, each sample its own work item, so that the
/// cores never wait at a batch boundary: while one batch's last samples decode, the idle cores
/// start on the next batch, and stacking and encoding a batch overlap decoding the next one.
///
///     decoder.submit(current, members: ...); decoder.submit(following, members: ...)
///     let samples = decoder.take(current)          // waits for the current batch only
final class DecodeAhead: @unchecked Sendable {
    private let load: @Sendable (Int) -> Result<PreparedSample, Error>
    private var pending: [BatchPosition: PendingSamples] = [:]

    /// `load` decodes one sample of the split by its index.
    init(load: @escaping @Sendable (Int) -> Result<PreparedSample, Error>) {
        self.load = load
    }

    /// Starts decoding the batch at `position` unless it already is.
    func submit(_ position: BatchPosition, members: [Int]) {
        guard pending[position] == nil else { return }
        let samples = PendingSamples(count: members.count)
        for (slot, sampleIndex) in members.enumerated() {
            DispatchQueue.global(qos: .userInitiated).async(group: samples.group) { [load] in
                // The cores are shared out among the items already: each runs its libtorch ops on one thread.
                samples.slots.base[slot] = Engine.withThreadLocalThreads(1) { load(sampleIndex) }
            }
        }
        pending[position] = samples
    }

    /// The decoded samples of a submitted batch, in member order, once all have finished.
    func take(_ position: BatchPosition) -> [Result<PreparedSample, Error>] {
        guard let samples = pending.removeValue(forKey: position) else {
            preconditionFailure("DecodeAhead: batch \(position) was not submitted")
        }
        samples.group.wait()
        return samples.results()
    }

    /// Waits for every submitted sample: nothing may still be decoding when the loader stops.
    func finish() {
        for samples in pending.values { samples.group.wait() }
        pending = [:]
    }
}

/// One batch's work items and their results.
private final class PendingSamples: @unchecked Sendable {
    let group = DispatchGroup()
    let slots: Slots<Result<PreparedSample, Error>?>

    init(count: Int) {
        slots = Slots(count)
        slots.base.initialize(repeating: nil, count: count)
    }

    deinit {
        group.wait()
        slots.release()
    }

    func results() -> [Result<PreparedSample, Error>] {
        (0..<slots.count).map { slots.base[$0]! }
    }
}
