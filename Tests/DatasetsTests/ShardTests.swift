import Datasets
import Foundation
import TestSupport
import Testing
import Torch

/// Data-parallel loading: the processes' parts of each batch make up one process's batch.
@Suite struct ShardTests {
    @Test func partsCoverABatchInOrderAndEvenly() {
        #expect((0..<2).map { Shard(rank: $0, count: 2).part(of: 8) } == [0..<4, 4..<8])
        #expect((0..<3).map { Shard(rank: $0, count: 3).part(of: 7) } == [0..<3, 3..<5, 5..<7])
        #expect((0..<4).map { Shard(rank: $0, count: 4).part(of: 1) } == [0..<1, 1..<1, 1..<1, 1..<1])
    }

    @Test func twoShardsOfBatchTwoAreOneLoaderOfBatchFour() throws {
        let scratch = TemporaryFolder()
        try TinyRun.writeDataset(in: scratch.url, counts: [.train: 6])
        let data = try Dataset.open(DatasetOptions(imageDirectory: scratch.url.appendingPathComponent("img").path,
                                                   maskDirectory: scratch.url.appendingPathComponent("mask").path, splits: [.train],
                                                   imageChannels: 1, segmentationClasses: 3, imageSize: TinyRun.size))
        let ablation = MaskAblation(classes: 3)
        func epoch(_ options: LoaderOptions) throws -> [Batch] {
            let loader = Loader(data, split: .train, options: options)
            var batches: [Batch] = []
            while let batch = try loader.next() { batches.append(batch) }
            return batches
        }
        let whole = try epoch(LoaderOptions(batchSize: 4, seed: 3, ablation: ablation))
        let parts = try (0..<2).map { try epoch(LoaderOptions(batchSize: 2, seed: 3, ablation: ablation, shard: Shard(rank: $0, count: 2))) }
        #expect(whole.count == 2 && parts.allSatisfy { $0.count == 2 })
        for (index, batch) in whole.enumerated() {
            #expect(parts[0][index].names + parts[1][index].names == batch.names)
            #expect(parts.map { $0[index].globalCount } == [batch.count, batch.count])
            let joined = Tensor.cat([parts[0][index].labels!, parts[1][index].labels!], dim: 0)
            #expect(joined.scalars(as: Int64.self) == batch.labels!.scalars(as: Int64.self), "ablation of batch \(index)")
        }
    }
}
