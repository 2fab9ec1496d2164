import Datasets
import Foundation
import Testing
import TestSupport
import Torch

/// `segmadiff import-nifti`'s split flags through the binary: the default keeps neighbouring slices
/// apart and says how; a slice split warns; bad values are one-line errors.
@Suite(.serialized) struct ImportNiftiCommandTests {
    let scratch = TemporaryFolder()

    init() throws {
        let depth = 40
        let z = Tensor.arange(0, Double(depth), .init(.float64)).reshaped(depth, 1, 1)
        let labels = Tensor.zeros([depth, 8, 8], .init(.uint8))
        labels.sliced(dim: 1, start: 2, end: 6).sliced(dim: 2, start: 2, end: 6).fill(2)
        try NiftiWriter.write((z * 5).expanded(to: [depth, 8, 8]).contiguous().to(.int16), to: scratch.path + "/head.nii.gz")
        try NiftiWriter.write(labels, to: scratch.path + "/labels.nii.gz")
    }

    func arguments(_ output: String, _ extra: [String] = []) -> [String] {
        ["import-nifti", "--image", "head.nii.gz", "--labels", "labels.nii.gz", "--output", output] + extra
    }

    @Test func theDefaultSplitIsBySlabAndSaysSo() throws {
        let result = try SegMaDiffBinary.run(arguments("slabs"), in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("split by slab") && result.stdout.contains("5 unused slices"), "\(result.stdout)")
        #expect(result.stdout.contains("(20 gap slices unused)") && result.stdout.contains("slices.csv"), "\(result.stdout)")
        #expect(result.stderr.isEmpty, "\(result.stderr)")
        let rows = try SliceProvenance.read(scratch.path + "/slabs/slices.csv")
        #expect(rows.filter { $0.role == .unused }.count == 20)

        let gapped = try SegMaDiffBinary.run(arguments("gap2", ["--split_by", "slab", "--gap", "2"]), in: scratch.url)
        #expect(gapped.status == 0 && gapped.stdout.contains("2 unused slices"), "\(gapped.stdout)\(gapped.stderr)")
    }

    @Test func aSliceSplitWarnsThatNeighboursLeak() throws {
        let result = try SegMaDiffBinary.run(arguments("slices", ["--split_by", "slice"]), in: scratch.url)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("warning: --split_by slice") && result.stderr.contains("optimistic"), "\(result.stderr)")
        #expect(result.stdout.contains("split by slice"))
    }

    @Test func badSplitFlagsAreOneLineErrors() throws {
        for (extra, words) in [(["--split_by", "patient"], ["--split_by patient", "auto, volume, slab or slice"]),
                               (["--gap=-1"], ["--gap -1"]),
                               (["--gap", "30"], ["head.nii.gz has 40 slices", "--gap"])] {
            let result = try SegMaDiffBinary.run(arguments("bad", extra), in: scratch.url)
            #expect(result.status == 2, "\(extra): \(result.stderr)")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.first?.hasPrefix("segmadiff: error: ") == true, "\(result.stderr)")
            for word in words { #expect(result.stderr.contains(word), "\(extra): \(result.stderr)") }
            #expect(!FileManager.default.fileExists(atPath: scratch.path + "/bad"))
        }
    }
}
