import Datasets
import Testing
import Torch

@Suite("Mask ablation")
struct MaskAblationTests {
    static let classes = 4

    /// B samples, each holding every class 0..K-1 once: [B, 1, 1, K].
    private func allClasses(_ batch: Int) -> Tensor {
        Tensor.arange(0, Double(Self.classes)).reshaped(1, 1, 1, Self.classes).repeated([batch, 1, 1, 1]).contiguous()
    }

    /// Which classes 1..K-1 survived in each sample, as a bit pattern (bit c-1 set when c is kept).
    private func keptSubsets(_ ablated: Tensor) -> [Int] {
        let kept = ablated.reshaped([-1, Self.classes]).ne(0).to(.int64).scalars(as: Int64.self)
        return stride(from: 0, to: kept.count, by: Self.classes).map { row in
            (1..<Self.classes).reduce(0) { $0 | (Int(kept[row + $1]) << ($1 - 1)) }
        }
    }

    @Test func everySubsetIsKeptWithProbabilityTwoToMinusKMinusOne() {
        let ablate = MaskAblation(classes: Self.classes, draw: .perSample)
        let generator = Generator(seed: 7)
        var counts = [Int](repeating: 0, count: 1 << (Self.classes - 1))
        let batches = 100, batch = 64
        for _ in 0..<batches {
            for subset in keptSubsets(ablate(allClasses(batch), generator: generator)) { counts[subset] += 1 }
        }
        // Chi-square against the uniform 1/8: 7 degrees of freedom, 24.32 is the 0.001 critical value.
        let expected = Double(batches * batch) / Double(counts.count)
        let chiSquare = counts.reduce(0.0) { $0 + (Double($1) - expected) * (Double($1) - expected) / expected }
        #expect(chiSquare < 24.32, "subset counts \(counts)")
        #expect(counts.allSatisfy { $0 > 0 })
    }

    @Test func perSampleDrawsDifferWithinABatch() {
        let subsets = keptSubsets(MaskAblation(classes: Self.classes)(allClasses(32), generator: Generator(seed: 3)))
        #expect(Set(subsets).count > 1)
    }

    @Test func perBatchDrawIsSharedByTheWholeBatchAsInTheReference() {
        let ablate = MaskAblation(classes: Self.classes, draw: .perBatch)
        let generator = Generator(seed: 3)
        var seen = Set<Int>()
        for _ in 0..<20 {
            let subsets = keptSubsets(ablate(allClasses(16), generator: generator))
            #expect(Set(subsets).count == 1)
            seen.insert(subsets[0])
        }
        #expect(seen.count > 1)
    }

    @Test func sameGeneratorSeedGivesTheSameAblation() {
        let ablate = MaskAblation(classes: Self.classes)
        let a = ablate(allClasses(16), generator: Generator(seed: 11))
        let b = ablate(allClasses(16), generator: Generator(seed: 11))
        #expect(a.eq(b).all().item == 1)
    }

    @Test func backgroundAndLabelsOutsideTheClassesAreNeverTouched() {
        let labels = Tensor([0, 9, 0, 9] as [Int64], shape: [4, 1, 1, 1])
        let ablated = MaskAblation(classes: Self.classes)(labels, generator: Generator(seed: 1))
        #expect(ablated.scalars(as: Int64.self) == [0, 9, 0, 9])
    }
}
