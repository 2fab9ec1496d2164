import Datasets
import Testing
import Torch

@Suite("Loader")
struct LoaderTests {
    static let data = TestDataSet.standard(count: 10, splits: ["train", "val"])

    private func dataset(cache: Bool = false) throws -> Dataset {
        try Dataset.open(Self.data.options())
    }

    private func epoch(_ loader: Loader) throws -> [Batch] {
        var batches: [Batch] = []
        while let batch = try loader.next() { batches.append(batch) }
        return batches
    }

    @Test func anEpochCoversEverySampleOnceAndKeepsThePartialBatch() throws {
        let loader = Loader(try dataset(), split: .train, options: LoaderOptions(batchSize: 4, seed: 1))
        let batches = try epoch(loader)
        #expect(batches.map(\.count) == [4, 4, 2])
        #expect(batches.flatMap(\.names).sorted() == (0..<10).map { String(format: "case_%02d.png", $0) })
        #expect(loader.state == LoaderState(epoch: 1, batch: 0, seed: 1))
        let first = batches[0]
        #expect(first.images?.shape == [4, 1, 32, 32])
        #expect(first.images?.dtype == .float32)
        #expect(first.masks?.shape == [4, 1, 32, 32])
        #expect(first.labels?.shape == [4, 1, 32, 32])
        #expect(first.labels?.dtype == .int64)
        let range = try #require(first.images)
        #expect(range.min().item >= -1 && range.max().item <= 1)
    }

    @Test func sameSeedSameOrderAndEpochsDiffer() throws {
        let data = try dataset()
        let a = try epoch(Loader(data, split: .train, options: LoaderOptions(batchSize: 3, seed: 5))).flatMap(\.names)
        let b = try epoch(Loader(data, split: .train, options: LoaderOptions(batchSize: 3, seed: 5))).flatMap(\.names)
        #expect(a == b)
        let loader = Loader(data, split: .train, options: LoaderOptions(batchSize: 3, seed: 5))
        let first = try epoch(loader).flatMap(\.names), second = try epoch(loader).flatMap(\.names)
        #expect(first != second)
        let other = try epoch(Loader(data, split: .train, options: LoaderOptions(batchSize: 3, seed: 6))).flatMap(\.names)
        #expect(other != a)
    }

    @Test func unshuffledOrderIsFileOrder() throws {
        let loader = Loader(try dataset(), split: .val, options: LoaderOptions(batchSize: 4, shuffle: false))
        #expect(try epoch(loader).flatMap(\.names) == (0..<10).map { String(format: "case_%02d.png", $0) })
    }

    @Test func restoredStateGivesTheSameBatches() throws {
        let data = try dataset()
        let ablation = MaskAblation(classes: 3)
        let options = LoaderOptions(batchSize: 3, seed: 9, ablation: ablation)
        let original = Loader(data, split: .train, options: options)
        _ = try epoch(original)
        _ = try original.next()
        let saved = original.state
        #expect(saved == LoaderState(epoch: 1, batch: 1, seed: 9))
        let rest = try epoch(original) + epoch(original)

        let resumed = Loader(data, split: .train, options: options, state: saved)
        let again = try epoch(resumed) + epoch(resumed)
        #expect(again.map(\.names) == rest.map(\.names))
        #expect(zip(again, rest).allSatisfy { $0.masks!.eq($1.masks!).all().item == 1 })
        #expect(zip(again, rest).allSatisfy { $0.images!.eq($1.images!).all().item == 1 })
    }

    @Test func cachedSamplesEqualDecodedOnes() throws {
        let data = try dataset()
        let plain = try epoch(Loader(data, split: .train, options: LoaderOptions(batchSize: 4, seed: 2)))
        let cached = Loader(data, split: .train, options: LoaderOptions(batchSize: 4, seed: 2, cacheSamples: true))
        _ = try epoch(cached)
        cached.restore(LoaderState(seed: 2))
        let fromCache = try epoch(cached)
        #expect(zip(plain, fromCache).allSatisfy { $0.images!.eq($1.images!).all().item == 1 && $0.names == $1.names })
    }

    @Test func imagesComeFromTheirOwnFiles() throws {
        // Image i is filled with 10·i plus a column ramp; the top-left pixel at 32 px stays (10·i)/127.5 - 1.
        let loader = Loader(try dataset(), split: .train, options: LoaderOptions(batchSize: 10, seed: 4))
        let batch = try #require(try loader.next())
        let corners = batch.images!.selected(dim: 2, index: 0).selected(dim: 2, index: 0).reshaped([-1]).scalars(as: Float.self)
        for (name, value) in zip(batch.names, corners) {
            let index = Int(name.dropFirst(5).prefix(2))!
            #expect(abs(value - (Float(index * 10) / 127.5 - 1)) < 0.02, "\(name)")
        }
    }

    @Test func aFileBrokenAfterValidationIsAThrownError() throws {
        let data = TestDataSet.standard(count: 3, splits: ["train", "val"])
        let dataset = try Dataset.open(data.options())
        data.remove("images/train/case_01.png")
        let loader = Loader(dataset, split: .train, options: LoaderOptions(batchSize: 3, shuffle: false))
        let error = #expect(throws: DataError.self) { try loader.next() }
        #expect(error?.message.hasPrefix("\(data.images)/train/case_01.png: cannot be read") == true)
    }
}
