import Datasets
import Testing
import Torch

/// `--cfg_p_uncond`: a fraction of the training masks become blank, per sample, in the loader.
@Suite("Blank-mask dropout")
struct BlankMaskDropoutTests {
    static let files = TestDataSet.standard(count: 12, splits: ["train", "val"])

    @Test func aboutPOfTheSamplesAreBlankedWholeAndTheRestKept() {
        let labels = Tensor.ones([4000, 1, 2, 2], TensorOptions(.int64))
        let out = BlankMaskDropout(probability: 0.2)(labels, generator: Generator(seed: 1))
        let perSample = out.reshaped(4000, 4).sum(dims: [1]).scalars(as: Int64.self)
        #expect(perSample.allSatisfy { $0 == 0 || $0 == 4 })
        let blanked = Double(perSample.filter { $0 == 0 }.count) / 4000
        // Binomial(4000, 0.2): sd 0.0063; five of them.
        #expect(abs(blanked - 0.2) < 0.032, "\(blanked)")
        #expect(BlankMaskDropout(probability: 0)(labels, generator: Generator(seed: 1)).sum().item == 16000)
    }

    @Test func theLoaderBlanksSomeMasksAndLeavesTheOtherDrawsAlone() throws {
        let data = try Dataset.open(Self.files.options())
        let ablation = MaskAblation(classes: 3)
        func labels(_ dropout: BlankMaskDropout?) throws -> Tensor {
            let loader = Loader(data, split: .train, options: LoaderOptions(batchSize: 12, seed: 4, ablation: ablation, blankDropout: dropout))
            return try #require(try loader.next()?.labels)
        }
        let plain = try labels(nil)
        let dropped = try labels(BlankMaskDropout(probability: 0.5))
        let kept = dropped.reshaped(12, -1).abs().sum(dims: [1]).gt(0).scalars(as: Bool.self)
        #expect(kept.contains(false) && kept.contains(true), "\(kept)")
        for (index, isKept) in kept.enumerated() where isKept {
            #expect((dropped.selected(dim: 0, index: index) - plain.selected(dim: 0, index: index)).abs().sum().item == 0)
        }
        #expect(try (labels(BlankMaskDropout(probability: 0.5)) - dropped).abs().sum().item == 0)
    }
}
