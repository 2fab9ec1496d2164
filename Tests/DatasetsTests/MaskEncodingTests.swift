import Datasets
import ModelCard
import Testing
import Torch

@Suite("Mask encoding")
struct MaskEncodingTests {
    /// Two seg types on a 1x4 strip: [0, 1, 0, 2] and [3, 3, 0, 1].
    let perType = Tensor([0, 1, 0, 2, 3, 3, 0, 1] as [Int64], shape: [1, 2, 1, 4])

    @Test func singleModeMergesWithTheEarlierTypeWinning() {
        let encoder = MaskEncoder(encoding: .seed, channelMode: .single, classes: 4, segTypeCount: 2)
        let merged = encoder.combined(perType)
        #expect(merged.shape == [1, 1, 1, 4])
        #expect(merged.scalars(as: Int64.self) == [3, 1, 0, 2])
    }

    @Test func multiModeKeepsOneChannelPerSegType() {
        let encoder = MaskEncoder(encoding: .scaled, channelMode: .multi, classes: 4, segTypeCount: 2)
        #expect(encoder.maskChannels == 2)
        let encoded = encoder.encoded(encoder.combined(perType))
        #expect(encoded.shape == [1, 2, 1, 4])
        let expected: [Float] = [-1, -1.0 / 3, -1, 1.0 / 3, 1, 1, -1, -1.0 / 3]
        #expect(zip(encoded.flattenedValues(), expected).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func scaledMapsClassesOntoMinusOneToOne() {
        let encoder = MaskEncoder(encoding: .scaled, channelMode: .single, classes: 3, segTypeCount: 1)
        let labels = Tensor([0, 1, 2] as [Int64], shape: [1, 1, 1, 3])
        #expect(encoder.encoded(labels).flattenedValues() == [-1, 0, 1])
    }

    @Test func onehotGivesOneChannelPerForegroundClass() {
        let encoder = MaskEncoder(encoding: .onehot, channelMode: .single, classes: 4, segTypeCount: 1)
        #expect(encoder.maskChannels == 3)
        let labels = Tensor([0, 1, 2, 3] as [Int64], shape: [1, 1, 1, 4])
        let encoded = encoder.encoded(labels)
        #expect(encoded.shape == [1, 3, 1, 4])
        #expect(encoded.flattenedValues() == [0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    }
}
