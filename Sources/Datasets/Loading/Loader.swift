import Foundation
import Torch

public struct LoaderOptions: Sendable {
    public var batchSize: Int
    /// Shuffle each epoch (seeded); off gives file-name order, for deterministic evaluation.
    public var shuffle: Bool
    public var seed: UInt64
    /// Batches decoded ahead of the training loop (memory bound: this many batches wait at most).
    public var prefetchBatches: Int
    /// Keep decoded, resized samples in memory after their first epoch.
    public var cacheSamples: Bool
    /// Ablate the masks of each batch (training with `--use_ablated_segmentations`).
    public var ablation: MaskAblation?
    /// Blank some samples' masks, after ablation (training with `--cfg_p_uncond`).
    public var blankDropout: BlankMaskDropout?
    /// Data-parallel training: this process's part of every batch (nil: all of it).
    public var shard: Shard?

    public init(batchSize: Int, shuffle: Bool = true, seed: UInt64 = 0, prefetchBatches: Int = 2,
                cacheSamples: Bool = false, ablation: MaskAblation? = nil, blankDropout: BlankMaskDropout? = nil,
                shard: Shard? = nil) {
        self.batchSize = batchSize
        self.shuffle = shuffle
        self.seed = seed
        self.prefetchBatches = prefetchBatches
        self.cacheSamples = cacheSamples
        self.ablation = ablation
        self.blankDropout = blankDropout
        self.shard = shard
    }

    /// Samples in one batch of all processes together.
    var globalBatchSize: Int { batchSize * (shard?.count ?? 1) }
}

/// One of `count` processes that share each batch: with a per-process batch size B, a batch is
/// B x count samples of the epoch's order, and process `rank` takes the rank-th contiguous part
/// (B each; a last, short batch is split as evenly as it goes). So the processes together see
/// exactly the batches one process would with batch size B x count.
public struct Shard: Sendable, Equatable {
    public var rank: Int
    public var count: Int

    public init(rank: Int, count: Int) {
        precondition(count >= 1 && (0..<count).contains(rank), "Shard: rank \(rank) outside 0..<\(count)")
        self.rank = rank
        self.count = count
    }

    /// This rank's part of a batch of `total` samples.
    public func part(of total: Int) -> Range<Int> {
        let base = total / count, extra = total % count
        let start = rank * base + Swift.min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }
}

/// Batches of one split, epoch after epoch. Each epoch covers every sample once in a seeded order;
/// the last, partial batch is kept (the reference's drop_last=False). Decoding and resizing run on
/// background threads, a few batches ahead of the caller, while its training step runs.
///
///     let loader = Loader(data, split: .train, options: LoaderOptions(batchSize: 16, seed: seed))
///     while let batch = try loader.next() { ... }    // one epoch; the next call starts the next one
///     checkpoint.loader = loader.state               // later: Loader(..., state: saved)
public final class Loader: @unchecked Sendable {
    private enum Item {
        case batch(Batch)
        case endOfEpoch
        case failure(Error)
    }

    public let dataset: Dataset
    public let split: Split
    public let options: LoaderOptions
    private let samples: [SampleFiles]
    private let cache: SampleCache?
    private var queue: BatchQueue<Item>?
    /// Signalled when the producer thread has returned.
    private var producerFinished: DispatchSemaphore?
    /// The position of the next batch `next()` returns.
    public private(set) var state: LoaderState

    public init(_ dataset: Dataset, split: Split, options: LoaderOptions, state: LoaderState? = nil) {
        precondition(options.batchSize > 0, "Loader: batch size must be positive")
        self.dataset = dataset
        self.split = split
        self.options = options
        samples = dataset.samples(split)
        cache = options.cacheSamples ? SampleCache() : nil
        self.state = state ?? LoaderState(seed: options.seed)
    }

    deinit { stopProducer() }

    /// Closes the queue and waits for the producer to finish the batch it is on. libtorch must not
    /// be running on that thread when the process exits and tears down its operator registry.
    private func stopProducer() {
        queue?.close()
        producerFinished?.wait()
        queue = nil
        producerFinished = nil
    }

    public var sampleCount: Int { samples.count }
    public var batchesPerEpoch: Int { (samples.count + options.globalBatchSize - 1) / options.globalBatchSize }

    /// The next batch of the current epoch, or nil once it is used up (the call after that starts
    /// the next epoch).
    public func next() throws -> Batch? {
        let queue = self.queue ?? startProducer()
        switch queue.pop() {
        case .batch(let batch):
            state.batch = batch.index + 1
            return batch
        case .endOfEpoch:
            state = LoaderState(epoch: state.epoch + 1, batch: 0, seed: state.seed)
            return nil
        case .failure(let error):
            stopProducer()
            throw error
        }
    }

    /// Continues from a saved position: the following batches equal those the saving loader gave.
    public func restore(_ saved: LoaderState) {
        stopProducer()
        state = saved
    }

    /// The samples of batch `index` of `epoch`, as indices into the split.
    public func sampleIndices(epoch: Int, batch index: Int) -> [Int] {
        BatchProducer.members(count: samples.count, options: options, seed: state.seed, epoch: epoch, index: index)
    }

    private func startProducer() -> BatchQueue<Item> {
        let queue = BatchQueue<Item>(capacity: options.prefetchBatches)
        let finished = DispatchSemaphore(value: 0)
        self.queue = queue
        producerFinished = finished
        let start = state
        let thread = Thread { [dataset, split, samples, options, cache, batchesPerEpoch] in
            defer { finished.signal() }
            // Assembling overlaps decoding, which has the cores: an OpenMP team here would only spin.
            Engine.setThreadLocalThreads(1)
            let producer = BatchProducer(dataset: dataset, split: split, samples: samples, options: options, cache: cache, seed: start.seed)
            let decoder = DecodeAhead(load: producer.load)
            defer { decoder.finish() }
            var position = BatchPosition(epoch: start.epoch, index: start.batch)
            // Each epoch's order is drawn once (the current and the next epoch are in use).
            var orders: [Int: [Int]] = [:]
            func window(_ position: BatchPosition) -> BatchWindow {
                if orders[position.epoch] == nil {
                    orders = orders.filter { $0.key >= position.epoch - 1 }
                    orders[position.epoch] = BatchProducer.order(count: samples.count, options: options, seed: producer.seed, epoch: position.epoch)
                }
                return BatchProducer.window(of: orders[position.epoch]!, options: options, index: position.index)
            }
            while !queue.isClosed {
                if position.index >= batchesPerEpoch {
                    guard queue.push(.endOfEpoch) else { return }
                    position = BatchPosition(epoch: position.epoch + 1, index: 0)
                    continue
                }
                let following = position.next(batchesPerEpoch: batchesPerEpoch)
                let current = window(position)
                decoder.submit(position, members: current.members)
                decoder.submit(following, members: window(following).members)
                do {
                    let batch = try producer.assemble(decoder.take(position), window: current, at: position)
                    guard queue.push(.batch(batch)) else { return }
                    position.index += 1
                } catch {
                    _ = queue.push(.failure(error))
                    return
                }
            }
        }
        thread.name = "segmadiff.loader"
        thread.start()
        return queue
    }
}

/// Builds batches: their samples decoded (or taken from the cache), stacked, the masks merged,
/// ablated and encoded.
struct BatchProducer: Sendable {
    let dataset: Dataset
    let split: Split
    let samples: [SampleFiles]
    let options: LoaderOptions
    let cache: SampleCache?
    let seed: UInt64

    /// The split indices of batch `index` of `epoch`: a window of that epoch's (seeded) order (this
    /// shard's part of it).
    static func members(count: Int, options: LoaderOptions, seed: UInt64, epoch: Int, index: Int) -> [Int] {
        window(count: count, options: options, seed: seed, epoch: epoch, index: index).members
    }

    /// This process's members of a batch, where they start in the whole batch, and its size.
    static func window(count: Int, options: LoaderOptions, seed: UInt64, epoch: Int, index: Int) -> BatchWindow {
        window(of: order(count: count, options: options, seed: seed, epoch: epoch), options: options, index: index)
    }

    /// The split's order in `epoch`: seeded, or file-name order without shuffling.
    static func order(count: Int, options: LoaderOptions, seed: UInt64, epoch: Int) -> [Int] {
        options.shuffle ? ShuffleOrder.permutation(count: count, seed: seed, epoch: epoch) : Array(0..<count)
    }

    /// Batch `index` of an epoch's order, this process's part of it.
    static func window(of order: [Int], options: LoaderOptions, index: Int) -> BatchWindow {
        let start = index * options.globalBatchSize
        let whole = order[start..<Swift.min(start + options.globalBatchSize, order.count)]
        guard let shard = options.shard else { return BatchWindow(members: Array(whole), offset: 0, total: whole.count) }
        let part = shard.part(of: whole.count)
        return BatchWindow(members: Array(whole.dropFirst(part.lowerBound).prefix(part.count)), offset: part.lowerBound, total: whole.count)
    }

    /// Sample `index` of the split, decoded and resized, with its neighbours' labels or image when
    /// the data set's conditioning asks for them.
    @Sendable func load(_ index: Int) -> Result<PreparedSample, Error> {
        Result {
            if let cache { return try cache.sample(index) { try dataset.load(split, index) } }
            return try dataset.load(split, index)
        }
    }

    func assemble(_ loaded: [Result<PreparedSample, Error>], window: BatchWindow, at position: BatchPosition) throws -> Batch {
        let prepared = try loaded.map { try $0.get() }
        let (epoch, index) = (position.epoch, position.index)
        let rows = window.offset..<(window.offset + window.members.count)
        return try Engine.catching {
            var batch = Batch(images: nil, masks: nil, labels: nil, names: prepared.map(\.name), epoch: epoch, index: index,
                              globalOffset: window.offset, globalCount: window.total)
            let images = prepared.compactMap(\.image)
            if !images.isEmpty { batch.images = Tensor.stack(images) }
            let labels = prepared.compactMap(\.labels)
            if !labels.isEmpty, let encoder = dataset.maskEncoder {
                let conditioning = dataset.options.conditioning
                // Without neighbours (a data set built by hand), each slice stands for its own.
                let contexts = prepared.compactMap(\.context)
                let context = contexts.count == prepared.count && !contexts.isEmpty ? Tensor.stack(contexts) : nil
                var combined = conditioning.labels(centre: Tensor.stack(labels), context: context, encoder: encoder)
                if let ablation = options.ablation {
                    let generator = Generator(seed: ShuffleOrder.mixed(seed, UInt64(epoch), UInt64(index), 0xAB1A7E))
                    combined = ablation(combined, generator: generator, rows: rows, of: window.total)
                }
                var previous: Tensor?
                if conditioning.previousSlice {
                    let size = dataset.options.imageSize, channels = dataset.options.imageChannels
                    previous = Tensor.stack(prepared.map { SliceConditioning.previousChannels($0.previous, imageChannels: channels, size: size) })
                    if conditioning.previousSliceNoise > 0, let before = previous {
                        // Drawn for the whole batch, each process keeping its rows, as the other draws are.
                        let generator = Generator(seed: ShuffleOrder.mixed(seed, UInt64(epoch), UInt64(index), 0x9E7105))
                        let noise = Tensor.randn([window.total, channels, size, size], generator: generator)
                            .narrowed(dim: 0, start: rows.lowerBound, length: rows.count)
                        previous = conditioning.spoiled(before, noise: noise)
                    }
                }
                if let blankDropout = options.blankDropout {
                    // Its own stream, so turning it on leaves the ablation draws as they were. A
                    // dropped mask takes its context slices and the previous slice with it: the
                    // blank condition is the unguided one.
                    let generator = Generator(seed: ShuffleOrder.mixed(seed, UInt64(epoch), UInt64(index), 0xCF6D70))
                    if blankDropout.probability > 0 {
                        let dropped = blankDropout.dropped(combined.shape[0], generator: generator, rows: rows, of: window.total)
                        combined = BlankMaskDropout.blanked(combined, where: dropped)
                        previous = previous.map { BlankMaskDropout.blanked($0, where: dropped) }
                    }
                }
                batch.labels = conditioning.centre(of: combined, encoder: encoder)
                batch.masks = conditioning.encoded(combined, previous: previous, imageChannels: dataset.options.imageChannels, encoder: encoder)
            }
            return batch
        }
    }
}

/// This process's members of one batch, where they start in the batch of all processes, and its size.
struct BatchWindow {
    var members: [Int]
    var offset: Int
    var total: Int
}
