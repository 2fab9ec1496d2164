import Datasets
import Evaluation
import Foundation
import Testing
import Torch

/// The pieces of sample-volume that move voxels and draw noise: each checked against what it must
/// reproduce (import-nifti's slices, a volume stored another way round, N(0, I) per slice).
@Suite("Volume slicing")
struct VolumeSlicingTests {
    /// [z, y, x] = [3, 4, 5] with every voxel distinct.
    let volume = Tensor.arange(0, 60, .init(.float64)).reshaped(3, 4, 5)

    @Test func slicesAreImportNiftisAndGoBack() {
        for axis in 0...2 {
            let stack = SliceStack(axis: axis)
            let slices = stack.slices(volume)
            #expect(slices.shape[0] == volume.shape[2 - axis], "axis \(axis)")
            #expect(stack.volume(slices).eq(volume).all().item == 1, "axis \(axis)")
            // import-nifti's cut of slice 1: the volume at index 1 along the axis, rows flipped.
            let imported = volume.selected(dim: 2 - axis, index: 1).flipped([0])
            #expect(slices.selected(dim: 0, index: 1).eq(imported).all().item == 1, "axis \(axis)")
        }
        #expect(SliceStack(axis: 1).inPlaneAxes == (rows: 2, columns: 0))
    }

    @Test func reorientationUndoesFlipsAndSwaps() {
        let ras = VoxelOrientation(codes: "RAS")!
        // Stored LPS: x and y run the other way.
        let lps = volume.flipped([1, 2])
        let fromLPS = Reorientation(from: VoxelOrientation(codes: "LPS")!, to: ras)
        #expect(fromLPS.forward(lps).eq(volume).all().item == 1)
        #expect(fromLPS.backward(volume).eq(lps).all().item == 1)
        // Stored ASR: voxel x runs anterior (the RAS y), y superior (z), z right (x).
        let asr = volume.permuted([2, 0, 1]).contiguous()
        let fromASR = Reorientation(from: VoxelOrientation(codes: "ASR")!, to: ras)
        #expect(fromASR.forward(asr).eq(volume).all().item == 1)
        #expect(fromASR.backward(volume).eq(asr).all().item == 1)
        #expect(fromASR.spacing([1, 2, 3]) == [3, 1, 2])
        #expect(Reorientation(from: ras, to: ras).isIdentity)
    }

    @Test func correlatedNoiseIsStandardNormalPerSliceAndCorrelatedAcross() {
        let seeds = SampleSeeds(7)
        let slices = Array(0..<48), shape = [1, 24, 24]
        let half = SliceNoise(correlation: 0.5, seeds: seeds).initial(slices, shape: shape).reshaped(48, -1).to(.float64)
        let std = half.std().item, mean = half.mean().item
        #expect(abs(std - 1) < 0.05 && abs(mean) < 0.2, "std \(std), mean \(mean)")
        // The correlation of two slices' noise is rho (0.5), estimated over 47 neighbouring pairs.
        let a = half.narrowed(dim: 0, start: 0, length: 47), b = half.narrowed(dim: 0, start: 1, length: 47)
        let correlation = ((a - a.mean()) * (b - b.mean())).mean().item / (a.std().item * b.std().item)
        #expect(abs(correlation - 0.5) < 0.08, "correlation \(correlation)")

        let shared = SliceNoise(correlation: 1, seeds: seeds).initial([0, 5], shape: shape)
        #expect(shared.selected(dim: 0, index: 0).eq(shared.selected(dim: 0, index: 1)).all().item == 1)
        // rho = 0 is each slice's own noise, the one `sample` starts image `index` from.
        let own = SliceNoise(correlation: 0, seeds: seeds).initial([3], shape: shape)
        let expected = Tensor.randn([1] + shape, generator: Generator(seed: seeds.noise(3)))
        #expect(own.eq(expected).all().item == 1)
        // A slice's noise does not depend on the batch it is drawn in.
        let inBatch = SliceNoise(correlation: 0.5, seeds: seeds).initial([2, 9], shape: shape).selected(dim: 0, index: 1)
        let alone = SliceNoise(correlation: 0.5, seeds: seeds).initial([9], shape: shape).selected(dim: 0, index: 0)
        #expect(inBatch.eq(alone).all().item == 1)
    }

    @Test func agreementIsOneForEqualSlicesAndMinusOneForInverted() {
        let slice = Tensor.arange(0, 16, .init(.float64)).reshaped(1, 4, 4)
        let labels = Tensor.ones([3, 4, 4], .init(.int64))
        let equal = SliceAgreement.measure(Tensor.cat([slice, slice, slice]), labels: labels, included: [true, true, true])
        #expect(abs(equal.wholeSlice - 1) < 1e-9 && abs(equal.insideLabels - 1) < 1e-9 && equal.pairs == 2)
        let inverted = SliceAgreement.measure(Tensor.cat([slice, slice * -1 + 3, slice]), labels: labels, included: [true, true, true])
        #expect(abs(inverted.wholeSlice + 1) < 1e-9)
        // Pairs with a slice left out do not count.
        #expect(SliceAgreement.measure(Tensor.cat([slice, slice, slice]), labels: labels, included: [true, false, true]).pairs == 0)
    }
}
