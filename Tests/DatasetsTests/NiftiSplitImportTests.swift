import Datasets
import Foundation
import Testing
import TestSupport
import Torch

/// import-nifti's splits through real volumes and real files: what slices.csv says is what lies on
/// disk, no volume or slab reaches two splits, and the gap slices are written nowhere.
@Suite("NIfTI import splits")
struct NiftiSplitImportTests {
    let folder = TemporaryFolder()

    /// An 8 x 8 x `depth` volume pair labelled on every slice (so every slice is kept).
    private func writeVolume(_ name: String, depth: Int) throws -> (image: String, labels: String) {
        let z = Tensor.arange(0, Double(depth), .init(.float64)).reshaped(depth, 1, 1)
        let image = (z * 3).expanded(to: [depth, 8, 8]).contiguous().to(.int16)
        let labels = Tensor.zeros([depth, 8, 8], .init(.uint8))
        labels.sliced(dim: 1, start: 2, end: 6).sliced(dim: 2, start: 2, end: 6).fill(1)
        let imagePath = "\(folder.path)/\(name).nii.gz", labelPath = "\(folder.path)/\(name)_labels.nii.gz"
        try NiftiWriter.write(image, to: imagePath)
        try NiftiWriter.write(labels, to: labelPath)
        return (imagePath, labelPath)
    }

    /// The split folder each written image lies in, by file name; a name in two folders fails.
    private func writtenSplits(_ summary: NiftiImporter.Summary) throws -> [String: SliceRole] {
        var found: [String: SliceRole] = [:]
        for split in Split.allCases {
            let images = (try? FileManager.default.contentsOfDirectory(atPath: "\(summary.imageDirectory)/\(split.rawValue)")) ?? []
            let masks = (try? FileManager.default.contentsOfDirectory(atPath: "\(summary.maskDirectory)/all/\(split.rawValue)")) ?? []
            #expect(Set(images) == Set(masks))
            for name in images {
                #expect(found[name] == nil, "\(name) is in two splits")
                found[name] = SliceRole(split)
            }
        }
        return found
    }

    @Test func oneVolumeIsSplitIntoSlabsWithUnusedGapsAndEverySliceIsAccountedFor() throws {
        let volume = try writeVolume("brain", depth: 40)
        let options = NiftiImportOptions(volumes: [volume], output: folder.path + "/slabs")
        let summary = try NiftiImporter.run(options)
        #expect(summary.splitRule == .slab && summary.splitGap == 5)
        #expect(summary.splitExplanation.hasPrefix("split by slab"))
        #expect(summary.unusedSlices == 20)
        #expect(summary.slices == [.train: 16, .val: 2, .test: 2])

        let rows = try SliceProvenance.read(summary.provenanceFile)
        #expect(rows.count == 40)
        #expect(rows.map(\.sliceIndex) == Array(0..<40))
        #expect(rows.allSatisfy { $0.volume == volume.image })
        // What the CSV says is what is on disk; the gap slices are nowhere.
        let written = try writtenSplits(summary)
        for row in rows {
            #expect(written[row.name] == (row.role == .unused ? nil : row.role), "\(row.name)")
        }
        #expect(written.count == 20)
        SliceSplitterTests.expectSeparated(rows.map(\.role), gap: 5)
    }

    @Test func threeVolumesGoWholeIntoThreeSplits() throws {
        let volumes = try ["a", "b", "c"].map { try writeVolume($0, depth: 6) }
        var options = NiftiImportOptions(volumes: volumes, output: folder.path + "/volumes")
        options.seed = 2
        let summary = try NiftiImporter.run(options)
        #expect(summary.splitRule == .volume && summary.unusedSlices == 0)
        #expect(summary.slices == [.train: 6, .val: 6, .test: 6])
        let rows = try SliceProvenance.read(summary.provenanceFile)
        let written = try writtenSplits(summary)
        for source in volumes.map(\.image) {
            let splits = Set(rows.filter { $0.volume == source }.map { written[$0.name] })
            #expect(splits.count == 1, "\(source) reaches \(splits)")
        }
    }

    @Test func aSlabSplitOfTooShortAVolumeStopsBeforeWritingAnything() throws {
        let volume = try writeVolume("short", depth: 10)
        let output = folder.path + "/short"
        let error = #expect(throws: DataError.self) {
            try NiftiImporter.run(NiftiImportOptions(volumes: [volume], output: output))
        }
        #expect(error?.message.hasPrefix("\(volume.image) has 10 slices to split") == true)
        #expect(!FileManager.default.fileExists(atPath: output))
    }
}
