import Datasets
import Foundation
import Testing
import TestSupport
import Torch

/// Context slices and the previous slice through the loader, on a volume that import-nifti cut:
/// every slice's mask differs (slice z labels its first z + 1 pixels), so each channel tells which
/// slice it came from, at the volume's ends, beside a slice the import left out and at the edges
/// of the split's slab.
@Suite("Slice context")
struct SliceContextTests {
    static let depth = 24, side = 16
    /// A slice with only background: the import leaves it out.
    static let emptySlice = 2
    let folder = TemporaryFolder()

    /// Imports the volume (slab split with gaps) and returns the summary.
    private func importVolume() throws -> NiftiImporter.Summary {
        let (depth, side) = (Self.depth, Self.side)
        let z = Tensor.arange(0, Double(depth), .init(.float64)).reshaped(depth, 1, 1)
        let pixel = Tensor.arange(0, Double(side * side), .init(.float64)).reshaped(1, side, side)
        var labelled = pixel.lt(z + 1).to(.uint8)
        labelled = Tensor.where(z.eq(Double(Self.emptySlice)).expanded(to: [depth, side, side]), Tensor.zeros(like: labelled), labelled)
        let image = (z * 10 + pixel * 0.01).expanded(to: [depth, side, side]).contiguous().to(.float32)
        try NiftiWriter.write(image, to: folder.path + "/vol.nii.gz")
        try NiftiWriter.write(labelled.contiguous(), to: folder.path + "/vol_labels.nii.gz")
        var options = NiftiImportOptions(volumes: [(folder.path + "/vol.nii.gz", folder.path + "/vol_labels.nii.gz")], output: folder.path + "/data")
        options.splitRule = .slab
        options.splitGap = 2
        options.fractions = (0.7, 0.15, 0.15)
        return try NiftiImporter.run(options)
    }

    private func options(_ summary: NiftiImporter.Summary, _ conditioning: SliceConditioning) -> DatasetOptions {
        var options = DatasetOptions(imageDirectory: summary.imageDirectory, maskDirectory: summary.maskDirectory, splits: [.train, .val],
                                     segmentationClasses: 2, imageSize: Self.side)
        options.conditioning = conditioning
        return options
    }

    private func plane(_ batch: Tensor, _ row: Int, _ channel: Int) -> Tensor {
        batch.selected(dim: 0, index: row).selected(dim: 0, index: channel)
    }

    /// The slice index a mask channel [S, S] shows (it labels index + 1 pixels).
    private func sliceShown(_ channel: Tensor) -> Int { Int(channel.gt(0).to(.int64).sum().item) - 1 }

    @Test func contextChannelsHoldTheRightNeighboursWithEdgesReplicated() throws {
        let summary = try importVolume()
        let rows = try SliceProvenance.read(summary.provenanceFile)
        let train = Set(rows.filter { $0.role == .train }.map(\.sliceIndex))
        #expect(!train.contains(Self.emptySlice) && train.contains(Self.emptySlice - 1) && train.contains(0), "\(train.sorted())")
        // The expected neighbour: the slice itself if in train, else the nearest train slice towards the centre.
        func expected(_ centre: Int, _ offset: Int) -> Int {
            var j = centre + offset
            while j != centre && !train.contains(j) { j += offset > 0 ? -1 : 1 }
            return j
        }
        let data = try Dataset.open(options(summary, SliceConditioning(contextSlices: 2, previousSlice: true)))
        let loader = Loader(data, split: .train, options: LoaderOptions(batchSize: 64, shuffle: false))
        let batch = try #require(try loader.next())
        let masks = try #require(batch.masks)
        // 5 mask channels (centre, -2, -1, +1, +2), then the previous image and its presence flag.
        #expect(masks.shape == [train.count, 7, Self.side, Self.side])
        #expect(batch.labels?.shape == [train.count, 1, Self.side, Self.side])
        let order = train.sorted()
        let images = try #require(batch.images)
        var replicated = 0
        for (row, centre) in order.enumerated() {
            let shown = (0..<5).map { sliceShown(plane(masks, row, $0)) }
            let wanted = [centre] + [-2, -1, 1, 2].map { expected(centre, $0) }
            #expect(shown == wanted, "slice \(centre): channels show \(shown), expected \(wanted)")
            replicated += zip(wanted.dropFirst(), [-2, -1, 1, 2]).filter { $0.0 != centre + $0.1 }.count
            let flag = plane(masks, row, 6)
            if train.contains(centre - 1) {
                let previous = try #require(order.firstIndex(of: centre - 1))
                #expect(flag.eq(1).all().item == 1 && plane(masks, row, 5).eq(plane(images, previous, 0)).all().item == 1, "slice \(centre)")
            } else {
                #expect(flag.eq(0).all().item == 1 && plane(masks, row, 5).eq(0).all().item == 1, "slice \(centre) has no previous slice")
            }
        }
        #expect(replicated >= 4, "the volume's start, the left-out slice and the slab's end replicate")
    }

    @Test func aBlankedMaskBlanksItsContextAndPreviousSlice() throws {
        let summary = try importVolume()
        let data = try Dataset.open(options(summary, SliceConditioning(contextSlices: 1, previousSlice: true)))
        let loader = Loader(data, split: .train, options: LoaderOptions(batchSize: 64, shuffle: false, blankDropout: BlankMaskDropout(probability: 0.5)))
        let masks = try #require(try loader.next()?.masks)
        var dropped = 0
        for row in 0..<masks.shape[0] {
            // A blank mask is class 0 everywhere: -1 in the scaled encoding.
            let blank = (0..<3).map { plane(masks, row, $0).eq(-1).all().item == 1 }
            #expect(Set(blank).count == 1, "row \(row): centre and context blanked apart: \(blank)")
            if blank[0] {
                dropped += 1
                #expect(plane(masks, row, 3).eq(0).all().item == 1 && plane(masks, row, 4).eq(0).all().item == 1)
            }
        }
        #expect(dropped > 0 && dropped < masks.shape[0])
    }

    /// `previousSliceNoise`: the previous slice's image arrives with Gaussian noise of that σ, the
    /// presence flag and the rows without a previous slice as they were.
    @Test func previousSliceNoiseSpoilsOnlyThePreviousImage() throws {
        let summary = try importVolume()
        let clean = try Dataset.open(options(summary, SliceConditioning(previousSlice: true)))
        let noisy = try Dataset.open(options(summary, SliceConditioning(previousSlice: true, previousSliceNoise: 0.5)))
        let batch = { (data: Dataset) in try #require(try Loader(data, split: .train, options: LoaderOptions(batchSize: 64, shuffle: false)).next()?.masks) }
        let a = try batch(clean), b = try batch(noisy)
        #expect(a.shape == b.shape && a.shape[1] == 3)
        let flag = a.narrowed(dim: 1, start: 2, length: 1)
        #expect(b.narrowed(dim: 1, start: 2, length: 1).eq(flag).all().item == 1)
        #expect(b.narrowed(dim: 1, start: 0, length: 1).eq(a.narrowed(dim: 1, start: 0, length: 1)).all().item == 1, "the mask is untouched")
        let difference = (b - a).narrowed(dim: 1, start: 1, length: 1)
        let present = flag.sum().item
        #expect(present > 0 && (difference * (1 - flag)).abs().max().item == 0, "no noise where there is no previous slice")
        let std = ((difference * difference).sum().item / present).squareRoot()
        #expect(abs(std - 0.5) < 0.05, "noise std \(std)")
    }

    @Test func dataWithoutSlicesCSVIsOneLineNamingTheFileAndTheFix() throws {
        let data = TestDataSet.standard(count: 2, splits: ["train", "val"])
        var options = data.options()
        options.conditioning = SliceConditioning(contextSlices: 1)
        let error = #expect(throws: DataError.self) { try Dataset.open(options) }
        let message = error?.message ?? ""
        #expect(message.contains("--context_slices 1 needs the slices.csv") && message.contains("import-nifti") && !message.contains("\n"), "\(message)")
    }
}
