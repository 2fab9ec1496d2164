import Testing
import Torch

/// The loader's own resize kernels against libtorch's: antialiased bilinear on 8-bit planes within
/// one level (both round a float result; ties may go either way), nearest on label maps exactly.
@Suite("Resize kernels")
struct ResizeKernelTests {
    static let shapes: [(from: [Int], to: (Int, Int))] = [
        ([1, 64, 64], (32, 32)),     // halving, as most data sets are resized
        ([1, 37, 23], (16, 29)),     // shrinking one axis, stretching the other, no common factor
        ([3, 30, 45], (45, 30)),     // several planes
        ([2, 5, 7], (12, 11)),       // upscaling
        ([1, 9, 9], (9, 9)),         // same size
    ]

    @Test(arguments: 0..<shapes.count)
    func bilinearMatchesLibtorchWithinOneLevel(case index: Int) {
        let (from, (height, width)) = Self.shapes[index]
        let planes = Tensor.randint(0, 256, from, generator: Generator(seed: UInt64(index))).to(.uint8)
        let ours = planes.resizedUInt8(height: height, width: width)
        let theirs = planes.to(.float32).unsqueezed(0)
            .interpolated(height: height, width: width, mode: .bilinearAntialias).squeezed(0).rounded()
        #expect(ours.shape == theirs.shape)
        let difference = (ours - theirs).abs()
        #expect(difference.max().item <= 1)
        #expect(difference.mean().item < 0.02)
    }

    @Test func bilinearAppliesScaleAndOffsetAfterRounding() {
        let planes = Tensor.randint(0, 256, [1, 20, 20], generator: Generator(seed: 7)).to(.uint8)
        let levels = planes.resizedUInt8(height: 8, width: 8)
        let mapped = planes.resizedUInt8(height: 8, width: 8, scale: 2.0 / 255, offset: -1)
        #expect((mapped - (levels * (2.0 / 255) - 1)).abs().max().item < 1e-6)
        #expect(levels.eq(levels.rounded()).all().item == 1)
    }

    // Where no output falls exactly on a border between two source pixels (see the next test).
    @Test(arguments: [0, 1, 3, 4])
    func nearestMatchesLibtorchExactly(case index: Int) {
        let (from, (height, width)) = Self.shapes[index]
        let labels = Tensor.randint(0, 200, from, generator: Generator(seed: UInt64(index)))
        let theirs = labels.to(.uint8).unsqueezed(0).interpolated(height: height, width: width, mode: .nearestExact)
            .squeezed(0).to(.int64)
        for input in [labels.to(.uint8), labels.to(.int16), labels] {
            let ours = input.resizedLabels(height: height, width: width)
            #expect(ours.dtype == .int64)
            #expect(ours.eq(theirs).all().item == 1, "\(input.dtype)")
        }
    }

    /// Stretching 30 pixels to 45 puts output 4 exactly on the border 3.0 between source pixels 2
    /// and 3. PIL steps its position by 2/3 and lands just below (pixel 2); libtorch computes
    /// 4.5·(2/3) in float and lands on 3. The labels follow PIL, which the reference uses.
    @Test func nearestPicksPILsPixelOnExactBorders() {
        let columns = Tensor.arange(0, 30).reshaped(1, 1, 30)
        let pil = [0, 1, 1, 2, 2, 3, 4, 5, 5, 6, 7, 7, 8, 9, 9, 10, 10, 11, 12, 12, 13, 14, 14, 15, 16, 16, 17,
                   18, 19, 19, 20, 21, 21, 22, 23, 23, 24, 25, 25, 26, 27, 27, 28, 29, 29]
        #expect(columns.resizedLabels(height: 1, width: 45).reshaped([-1]).scalars(as: Int64.self) == pil.map(Int64.init))
    }

    @Test func nearestRejectsFloatingPointLabels() {
        #expect(throws: (any Error).self) {
            try Engine.catching { Tensor.zeros([1, 4, 4]).resizedLabels(height: 2, width: 2) }
        }
    }
}
