import Datasets
import Foundation
import ModelCard
import TestSupport
import Testing
import Torch
import Training

/// `segmadiff sample-volume` through the real binary, on a tiny model trained on slices that
/// `import-nifti` cut from a synthetic CT volume: the output's header against the labels' (in Swift,
/// and with nibabel where scripts/setup.sh installed it), the voxels in the right place whatever
/// the stored orientation, HU units, skipped slices, slice-correlated noise and the figure.
@Suite(.serialized) struct SampleVolumeCommandTests {
    let scratch = TemporaryFolder()
    /// Voxels along x, y, z; labels only on axial slices z = 2...9, the same on each of them.
    static let dims = [20, 16, 12]
    static let spacing = [0.9, 1.1, 2.0]
    static let labelledAxial = 2...9

    init() throws {
        let (image, labels) = Self.volumes()
        let ras = NiftiGeometry.scanner(affine: [[0.9, 0, 0, -9], [0, 1.1, 0, -8], [0, 0, 2, -11]], spacing: Self.spacing)
        try NiftiWriter.write(image, spacing: Self.spacing, geometry: ras, to: path("ct.nii.gz"))
        try NiftiWriter.write(labels, spacing: Self.spacing, geometry: ras, to: path("seg.nii.gz"))
        // The same labels stored LPS (x and y reversed) and tilted 10 degrees about z.
        let (c, s) = (cos(10 * Double.pi / 180), sin(10 * Double.pi / 180))
        let rotation = [[c, -s, 0], [s, c, 0], [0, 0, 1.0]], scales = [-0.9, -1.1, 2.0]
        let oblique = (0..<3).map { i in (0..<3).map { j in rotation[i][j] * scales[j] } + [[20.0, 15, -11][i]] }
        try NiftiWriter.write(labels.flipped([1, 2]).contiguous(), spacing: Self.spacing,
                              geometry: .scanner(affine: oblique, spacing: Self.spacing), to: path("seg_oblique.nii.gz"))

        let imported = try SegMaDiffBinary.run(
            ["import-nifti", "--image", "ct.nii.gz", "--labels", "seg.nii.gz", "--output", "data", "--label_map", "1-2:1,3-5:2",
             "--window=-1000,1000", "--split", "0.75,0.25,0", "--split_by", "slice"], in: scratch.url)
        guard imported.status == 0 else { throw UsageError("import-nifti failed: \(imported.stderr)") }
        var training = TinyRun.options(data: scratch.url, output: scratch.url.appendingPathComponent("run"), epochs: 1)
        training.data = DatasetOptions(imageDirectory: path("data/images"), maskDirectory: path("data/masks"), splits: [.train, .val],
                                       imageChannels: 1, segmentationClasses: 3, imageSize: TinyRun.size)
        _ = try Trainer(training).run()
    }

    func path(_ name: String) -> String { scratch.url.appendingPathComponent(name).path }

    /// CT in HU: air -1000 around a cylinder of soft tissue (labels 1 and 2, x below or from 10)
    /// with a bone core (label 4); the labelled slices are all alike along z.
    static func volumes() -> (image: Tensor, labels: Tensor) {
        let (nx, ny, nz) = (dims[0], dims[1], dims[2])
        let x = Tensor.arange(0, Double(nx), .init(.float64)).reshaped(1, 1, nx)
        let y = Tensor.arange(0, Double(ny), .init(.float64)).reshaped(1, ny, 1)
        let z = Tensor.arange(0, Double(nz), .init(.float64)).reshaped(nz, 1, 1)
        let distance = ((x - 10).squared() + (y - 8).squared()).expanded(to: [nz, ny, nx])
        let along = z.ge(Double(labelledAxial.lowerBound)).logicalAnd(z.le(Double(labelledAxial.upperBound))).expanded(to: [nz, ny, nx])
        let body = distance.lt(36).logicalAnd(along), core = distance.lt(9).logicalAnd(along)
        let side = x.ge(10).expanded(to: [nz, ny, nx]).to(.int64)
        let labels = body.to(.int64) * (side + 1) + core.to(.int64) * (4 - 1 - side)
        let noise = Tensor.randn([nz, ny, nx], generator: Generator(seed: 3)).to(.float64) * 20
        let hu = Tensor.full([nz, ny, nx], -1000, .init(.float64)) + body.to(.float64) * 1040 + core.to(.float64) * 360 + noise
        return (hu.clamped(min: -1024, max: 1500).to(.int16), labels.to(.uint8))
    }

    /// sample-volume with the tiny model's settings; `extra` adds flags.
    func sampleVolume(_ labels: String, _ output: String, _ extra: [String]) throws -> SegMaDiffBinary.Result {
        try SegMaDiffBinary.run(["sample-volume", "--checkpoint_dir", "run", "--labels", labels, "--output", output,
                                 "--sampler", "ddim", "--num_inference_steps", "2", "--threads", "1", "--seed", "4"] + extra,
                                in: scratch.url)
    }

    /// Shape, spacing and qform/sform of `output` equal those of `labels`, as segmadiff reads them.
    func expectSameGrid(_ output: String, as labels: String) throws {
        let written = try NiftiVolume.read(path(output)), source = try NiftiVolume.read(path(labels))
        #expect(written.dims == source.dims && written.spacing == source.spacing, "\(output)")
        #expect(written.geometry == source.geometry, "\(output): \(written.geometry) vs \(source.geometry)")
        #expect(written.orientation == source.orientation)
        #expect(written.datatype == 16)
    }

    @Test func axialVolumeOverlaysItsLabelsInHUWithTheFigure() throws {
        let result = try sampleVolume("seg.nii.gz", "out/synth.nii.gz", ["--skip_empty", "--image", "ct.nii.gz", "--figure", "out/views.png"])
        // The output folder must exist: nothing is created silently...
        #expect(result.status == 2 && result.stderr.contains("out/synth.nii.gz: the folder"), "\(result.stderr)")
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        let run = try sampleVolume("seg.nii.gz", "out/synth.nii.gz", ["--skip_empty", "--image", "ct.nii.gz", "--figure", "out/views.png"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("data/\(NiftiImportRecord.fileName)"), "the import record beside the run is found: \(run.stdout)")
        #expect(run.stdout.contains("adjacent-slice NCC: real"), "\(run.stdout)")
        try expectSameGrid("out/synth.nii.gz", as: "seg.nii.gz")

        // In HU through the import's window; unlabelled axial slices are air, labelled ones are not.
        let written = try NiftiVolume.read(path("out/synth.nii.gz")).data
        #expect(written.min().item >= -1000 && written.max().item <= 1000)
        for z in 0..<Self.dims[2] {
            let slice = written.selected(dim: 0, index: z)
            let air = slice.eq(-1000).all().item == 1
            #expect(air == !Self.labelledAxial.contains(z), "slice z = \(z)")
        }
        for file in ["out/views.png", "out/views.pdf"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: path(file)))
            #expect(bytes.starts(with: file.hasSuffix("png") ? [0x89, 0x50, 0x4E, 0x47] : Array("%PDF".utf8)), "\(file)")
        }
    }

    /// `--dicom`: the same volume as a DICOM series that segmadiff's reader (GDCM) puts on the
    /// labels' grid, with the NIfTI's values up to the 16-bit storage step, marked as synthetic.
    @Test func dicomSeriesHoldsTheVolumeOnTheLabelsGrid() throws {
        let result = try sampleVolume("seg.nii.gz", "out_dicom.nii.gz", ["--dicom", "out_dicom_series"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("DICOM series: out_dicom_series"))
        let series = try DicomVolume.read(folder: path("out_dicom_series"))
        let labelsGrid = try NiftiGeometry.voxelGrid(of: path("seg.nii.gz"))
        #expect(series.grid.shape == labelsGrid.shape)
        for axis in 0..<3 {
            #expect(abs(series.grid.spacing[axis] - labelsGrid.spacing[axis]) < 1e-3, "spacing \(series.grid) vs \(labelsGrid)")
            #expect(zip(series.grid.directions[axis], labelsGrid.directions[axis]).allSatisfy { abs($0 - $1) < 1e-4 },
                    "directions \(series.grid) vs \(labelsGrid)")
            #expect(abs(series.grid.origin[axis] - labelsGrid.origin[axis]) < 1e-3, "origin \(series.grid) vs \(labelsGrid)")
        }
        let nifti = try NiftiVolume.read(path("out_dicom.nii.gz")).data.to(.float64)
        let range = nifti.max().item - nifti.min().item
        // Values spread over 16 bits: one storage step is range / 65535.
        #expect((series.data - nifti).abs().max().item <= range / 65535 + 1e-6)
        let first = try #require(series.layout.slices.first)
        #expect(first.seriesDescription.contains("SYNTHETIC") && first.modality == "CT", "\(first)")
    }

    /// A tilted, flipped (LPS) label volume: the series' rows and columns run along the labels' x
    /// and y, and its slices cover the same positions (a reader may list them in either order).
    @Test func dicomSeriesOfObliqueLabelsSitsOnTheirGrid() throws {
        let result = try sampleVolume("seg_oblique.nii.gz", "out_oblique_dicom.nii", ["--dicom", "oblique_series"])
        #expect(result.status == 0, "\(result.stderr)")
        let series = try DicomVolume.read(folder: path("oblique_series")).grid
        let labels = try NiftiGeometry.voxelGrid(of: path("seg_oblique.nii.gz"))
        func close(_ a: [Double], _ b: [Double], _ tolerance: Double) -> Bool { zip(a, b).allSatisfy { abs($0 - $1) < tolerance } }
        #expect(series.shape == labels.shape)
        #expect(close(series.directions[0], labels.directions[0], 1e-4) && close(series.directions[1], labels.directions[1], 1e-4), "\(series) vs \(labels)")
        #expect(close(series.spacing, labels.spacing, 1e-3))
        let last = Double(labels.shape[2] - 1)
        let ends = [labels.position([0, 0, 0]), labels.position([0, 0, last])]
        let seriesEnds = [series.position([0, 0, 0]), series.position([0, 0, last])]
        #expect((close(seriesEnds[0], ends[0], 1e-3) && close(seriesEnds[1], ends[1], 1e-3))
                || (close(seriesEnds[0], ends[1], 1e-3) && close(seriesEnds[1], ends[0], 1e-3)), "\(series) vs \(labels)")
    }

    @Test func obliqueFlippedLabelsGetTheSameAnatomyOnTheirOwnGrid() throws {
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        let straight = try sampleVolume("seg.nii.gz", "out/ras.nii", ["--skip_empty"])
        let tilted = try sampleVolume("seg_oblique.nii.gz", "out/lps.nii.gz", ["--skip_empty"])
        #expect(straight.status == 0 && tilted.status == 0, "\(straight.stderr)\(tilted.stderr)")
        #expect(tilted.stdout.contains("voxel order LPS, generated in RAS"), "\(tilted.stdout)")
        try expectSameGrid("out/lps.nii.gz", as: "seg_oblique.nii.gz")
        // The model saw the same slices the same way up: the LPS output is the RAS one reversed in x and y.
        let ras = try NiftiVolume.read(path("out/ras.nii")).data, lps = try NiftiVolume.read(path("out/lps.nii.gz")).data
        #expect(lps.eq(ras.flipped([1, 2])).all().item == 1)
    }

    @Test(arguments: ["axial", "coronal", "sagittal"])
    func everyPlaneFillsExactlyTheLabelledSlices(axis: String) throws {
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        let output = "out/\(axis).nii.gz"
        let result = try sampleVolume("seg_oblique.nii.gz", output, ["--skip_empty", "--axis", axis, "--eval_batch_size", "16"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("\(axis) slices generated"), "\(result.stdout)")
        try expectSameGrid(output, as: "seg_oblique.nii.gz")
        // In the LPS labels, axial slices run along z (dim 0), coronal along y (1), sagittal along x (2).
        let dim = ["axial": 0, "coronal": 1, "sagittal": 2][axis]!
        let labels = try NiftiVolume.read(path("seg_oblique.nii.gz")).data, written = try NiftiVolume.read(path(output)).data
        for index in 0..<labels.shape[dim] {
            let labelled = labels.selected(dim: dim, index: index).ne(0).any().item == 1
            let air = written.selected(dim: dim, index: index).eq(-1000).all().item == 1
            #expect(air == !labelled, "\(axis) slice \(index)")
        }
    }

    @Test func fullyCorrelatedNoiseGivesEqualSlicesForEqualLabels() throws {
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        // DDPM: the step noise is correlated too, not only x_T.
        let flags = ["--skip_empty", "--sampler", "ddpm", "--num_inference_steps", "3"]
        let shared = try sampleVolume("seg.nii.gz", "out/rho1.nii", flags + ["--slice_noise_correlation", "1"])
        let independent = try sampleVolume("seg.nii.gz", "out/rho0.nii", flags + ["--slice_noise_correlation", "0"])
        #expect(shared.status == 0 && independent.status == 0, "\(shared.stderr)\(independent.stderr)")
        let one = try NiftiVolume.read(path("out/rho1.nii")).data, zero = try NiftiVolume.read(path("out/rho0.nii")).data
        let first = Self.labelledAxial.lowerBound
        for z in Self.labelledAxial.dropFirst() {
            let same = (one.selected(dim: 0, index: z) - one.selected(dim: 0, index: first)).abs().max().item
            let differs = (zero.selected(dim: 0, index: z) - zero.selected(dim: 0, index: first)).abs().max().item
            #expect(same < 1e-2 && differs > 1, "z = \(z): \(same) with rho 1, \(differs) with rho 0")
        }
    }

    @Test func aClassTheModelDoesNotKnowIsOneLineNamingTheFile() throws {
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        let result = try sampleVolume("seg.nii.gz", "out/bad.nii", ["--label_map", "1-5:7"])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("seg.nii.gz has class 7") && lines[0].contains("3 classes"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path("out/bad.nii")))
    }

    // MARK: nibabel

    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let nibabelPython = packageRoot.appendingPathComponent(".deps/pychecks/bin/python").path
    static var hasNibabel: Bool { FileManager.default.isExecutableFile(atPath: nibabelPython) }

    @Test(.enabled(if: SampleVolumeCommandTests.hasNibabel, "scripts/setup.sh installs nibabel into .deps/pychecks"))
    func nibabelReadsTheSameGeometryAsTheLabels() throws {
        try FileManager.default.createDirectory(atPath: path("out"), withIntermediateDirectories: true)
        for (labels, axis) in [("seg.nii.gz", "axial"), ("seg_oblique.nii.gz", "coronal"), ("seg_oblique.nii.gz", "sagittal")] {
            let output = "out/nib-\(axis).nii.gz"
            let result = try sampleVolume(labels, output, ["--skip_empty", "--axis", axis])
            #expect(result.status == 0, "\(result.stderr)")
            let check = Process()
            check.executableURL = URL(fileURLWithPath: Self.nibabelPython)
            check.arguments = [Self.packageRoot.appendingPathComponent("scripts/check_nifti_pair.py").path, path(labels), path(output)]
            let out = Pipe()
            check.standardOutput = out
            check.standardError = out
            try check.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            check.waitUntilExit()
            #expect(check.terminationStatus == 0 && text.contains("same geometry"), "\(labels) vs \(output): \(text)")
        }
        // And the check does see a difference when there is one.
        let check = Process()
        check.executableURL = URL(fileURLWithPath: Self.nibabelPython)
        check.arguments = [Self.packageRoot.appendingPathComponent("scripts/check_nifti_pair.py").path, path("seg.nii.gz"), path("seg_oblique.nii.gz")]
        check.standardOutput = FileHandle.nullDevice
        try check.run()
        check.waitUntilExit()
        #expect(check.terminationStatus == 1)
    }
}
