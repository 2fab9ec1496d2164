import Evaluation
import Testing
import Torch

/// The segmenter's training jitter keeps images in range and each image's grey-level order, draws
/// its own change per image, and repeats with its seed.
struct IntensityJitterTests {
    let images = Tensor.rand([6, 1, 8, 8], generator: Generator(seed: 4)) * 2 - 1

    @Test func staysInRangeAndKeepsEachImagesGreyLevelOrder() {
        let jittered = IntensityJitter(seed: 1)(images)
        #expect(jittered.shape == images.shape)
        #expect(jittered.min().item >= -1 && jittered.max().item <= 1)
        // Gamma, contrast and brightness are each increasing maps, so sorting an image's pixels by
        // their original value leaves the jittered values sorted too.
        for index in 0..<images.shape[0] {
            let before = images.selected(dim: 0, index: index).scalars(as: Float.self)
            let after = jittered.selected(dim: 0, index: index).scalars(as: Float.self)
            let order = before.indices.sorted { before[$0] < before[$1] }
            let reordered = order.map { after[$0] }
            #expect(zip(reordered, reordered.dropFirst()).allSatisfy { $0 <= $1 })
        }
    }

    @Test func drawsPerImageAndRepeatsWithItsSeed() {
        let first = IntensityJitter(seed: 7)(images)
        #expect(first.eq(IntensityJitter(seed: 7)(images)).all().item == 1)
        #expect(first.ne(IntensityJitter(seed: 8)(images)).any().item == 1)
        // The same image twice in a batch gets two different changes.
        let twice = images.narrowed(dim: 0, start: 0, length: 1).repeated([2, 1, 1, 1])
        let out = IntensityJitter(seed: 7)(twice)
        let difference = out.selected(dim: 0, index: 0) - out.selected(dim: 0, index: 1)
        #expect(difference.abs().max().item > 1e-3)
    }
}
