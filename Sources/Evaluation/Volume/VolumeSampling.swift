import Datasets
import Foundation
import Torch
import Training

/// `segmadiff sample-volume`: a whole image volume generated slice by slice from a label volume,
/// written on the labels' voxel grid with their qform/sform, so it overlays them in any viewer.
///
/// The labels are grouped and cut as the model's training slices were (the import record), in the
/// orientation those slices had; each labelled slice is generated at the model's size and resized
/// back, and the stack is turned back to the labels' own voxel order before it is written.
public enum VolumeSampling {
    public struct Summary: Sendable {
        public var output: String
        /// The DICOM series' folder, when one was written.
        public var dicom: String?
        public var generated: Int
        public var leftEmpty: Int
        public var axis: AnatomicalAxis
        /// The label volume's voxel orientation, and the one the slices were generated in.
        public var labelOrientation: String
        public var sliceOrientation: String
        public var units: String
        public var record: String?
        public var agreement: SliceAgreement
        public var realAgreement: SliceAgreement?
        /// With `--segmenter`: how well the generated slices follow their labels.
        public var dice: SliceDice?
        /// The same segmenter on the real image's slices (`--image`), scored the same way.
        public var realDice: SliceDice?
        public var figures: [String]
    }

    public static func run(_ options: VolumeSamplingOptions, progress: (String) -> Void = { _ in }) throws -> Summary {
        try checkPaths(options)
        // A DICOM series needs the labels' place in the patient: known before any slice is made.
        let dicomGrid = try options.dicom.map { _ in try NiftiGeometry.voxelGrid(of: options.labels) }
        let recordPath = options.importRecord ?? ImportRecordLocator.find(for: RunFolder(options.evaluation.checkpointDirectory))
        let record = try recordPath.map(NiftiImportRecord.read)
        let model = try EvaluationModel.load(options.evaluation)
        try checkModel(model)
        let labels = try LabelVolume.read(options.labels, grouping: options.labelGrouping ?? record?.labelGrouping,
                                          classCount: model.classCount, model: model.folder.path)
        let real = try options.image.map { try LabelVolume.realImage($0, matching: labels, labelPath: options.labels) }

        // Slices are generated in the orientation the model's slices were cut in.
        let labelOrientation = labels.volume.orientation
        let sliceOrientation = record?.orientation ?? labelOrientation
        let reorientation = Reorientation(from: labelOrientation, to: sliceOrientation)
        let axis = options.axis ?? record.map { AnatomicalAxis(worldAxis: sliceOrientation.worldAxes[voxelAxis($0.axis)]) } ?? .axial
        if let record, axis.worldAxis != sliceOrientation.worldAxes[voxelAxis(record.axis)] {
            progress("segmadiff: note: the model was trained on \(AnatomicalAxis(worldAxis: sliceOrientation.worldAxes[voxelAxis(record.axis)]).rawValue) slices; \(axis.rawValue) slices are new to it")
        }
        let stack = SliceStack(axis: sliceOrientation.voxelAxis(alongWorld: axis.worldAxis))
        let labelSlices = stack.slices(reorientation.forward(labels.classes))
        let (count, rows, columns) = (labelSlices.shape[0], labelSlices.shape[1], labelSlices.shape[2])
        let labelled = labelSlices.ne(0).any(dims: [1, 2]).to(.uint8).scalars(as: UInt8.self).map { $0 != 0 }
        let chosen = (0..<count).filter { !options.skipEmpty || labelled[$0] }

        let generator = try SliceGenerator(model: model, options: options.evaluation, correlation: options.sliceNoiseCorrelation)
        var dice = try options.segmenter.map { try SliceDiceMeter(path: $0, classes: model.classCount, device: options.evaluation.device) }
        var realDice = real == nil ? nil : dice
        let realSlices = real.map { stack.slices(reorientation.forward($0)) }
        let units = VolumeUnits(normalization: model.card.normalization, record: record, window: options.window)
        var slices = [Tensor?](repeating: nil, count: count)
        let conditioning = generator.conditioning
        let context = VolumeContext(labelled: labelled)
        // A model of the previous slice makes the slices in order, each from the one made before it.
        let batch = conditioning.previousSlice ? 1 : max(1, options.evaluation.evalBatchSize)
        var made: [Int: Tensor] = [:]
        for start in stride(from: 0, to: chosen.count, by: batch) {
            let indices = Array(chosen[start..<min(start + batch, chosen.count)])
            let neighbours = conditioning.contextSlices > 0 ? context.labels(labelSlices, indices: indices, offsets: conditioning.offsets) : nil
            let images = try generator.generate(labelSlices.indexSelect(dim: 0, index: Tensor(indices.map { Int64($0) })), context: neighbours,
                                                previous: indices.map { made[$0 - 1] }, indices: indices)
            if conditioning.previousSlice {
                made = [indices[0]: images.selected(dim: 0, index: 0)]
            }
            let chosenLabels = labelSlices.indexSelect(dim: 0, index: Tensor(indices.map { Int64($0) }))
            dice?.add(images, labels: chosenLabels, indices: indices)
            if let realSlices, realDice != nil {
                // The real slices as the model's data showed them: in [-1, 1] at the model's size.
                let shown = units.modelRange(realSlices.indexSelect(dim: 0, index: Tensor(indices.map { Int64($0) })).unsqueezed(1))
                realDice?.add(shown.interpolated(height: generator.side, width: generator.side, mode: .bilinearAntialias),
                              labels: chosenLabels, indices: indices)
            }
            let values = units.values(images.interpolated(height: rows, width: columns, mode: .bilinearAntialias)).squeezed(1)
            for (row, index) in indices.enumerated() { slices[index] = values.selected(dim: 0, index: row) }
            if conditioning.previousSlice, (start + 1) % 16 != 0, start + 1 < chosen.count { continue }
            progress("segmadiff: \(start + indices.count)/\(chosen.count) slices generated")
        }
        let background = Tensor.full([rows, columns], units.background, TensorOptions(.float32))
        let generatedSlices = Tensor.stack(slices.map { $0 ?? background })
        let volume = reorientation.backward(stack.volume(generatedSlices))
        try NiftiWriter.write(volume, spacing: labels.volume.spacing, geometry: labels.volume.geometry,
                              display: units.inVolumeUnits ? units.range : nil, to: options.output)
        if let folder = options.dicom, let grid = dicomGrid {
            // The NIfTI voxel (x, y, z) is DICOM's (column, row, slice) on the same grid, so the
            // volume goes out as it is; new UIDs, DERIVED and a synthetic series description.
            var settings = DicomSeriesWriter.Options()
            settings.modality = options.dicomModality ?? (units.inVolumeUnits ? "CT" : "MR")
            try DicomSeriesWriter.write(volume, grid: grid, to: folder, options: settings)
        }

        let included = (0..<count).map { slices[$0] != nil }
        let agreement = SliceAgreement.measure(generatedSlices, labels: labelSlices, included: included)
        let realAgreement = real.map {
            SliceAgreement.measure(stack.slices(reorientation.forward($0)), labels: labelSlices, included: included)
        }
        // Slice indices are the import's only along the axis the model's data were cut on.
        let importAxis = record.map { AnatomicalAxis(worldAxis: sliceOrientation.worldAxes[voxelAxis($0.axis)]) }
        let roles = importAxis == axis ? SliceDiceMeter.roles(record: recordPath, image: options.image) : nil
        let sliceDice = dice?.summary(roles: roles)
        var figures: [String] = []
        if let figure = options.figure {
            let caption = "\(generator.choice.rawValue), \(generator.steps) steps, seed \(options.evaluation.seed), slice noise correlation \(options.sliceNoiseCorrelation), \(axis.rawValue) slices; model \(MaskRemovalFigure.shownPath(model.folder.path))"
            let plot = OrthogonalViewFigure(labels: labels.classes, generated: volume, real: real, orientation: labelOrientation,
                                            spacing: labels.volume.spacing, generatedRange: units.range, caption: caption)
            figures = [figure + ".png", figure + ".pdf"]
            try AtomicFile.write(try plot.png(), to: figures[0])
            try AtomicFile.write(try plot.pdf(), to: figures[1])
        }
        return Summary(output: options.output, dicom: options.dicom, generated: chosen.count, leftEmpty: count - chosen.count, axis: axis,
                       labelOrientation: labelOrientation.description, sliceOrientation: sliceOrientation.description,
                       units: units.description, record: recordPath, agreement: agreement, realAgreement: realAgreement,
                       dice: sliceDice, realDice: realDice?.summary(roles: roles), figures: figures)
    }

    /// "x", "y", "z" -> 0, 1, 2.
    private static func voxelAxis(_ letter: String) -> Int { ["x": 0, "y": 1, "z": 2][letter] ?? 2 }

    /// Output paths that cannot work are refused before the model is loaded.
    private static func checkPaths(_ options: VolumeSamplingOptions) throws {
        let output = options.output.lowercased()
        guard output.hasSuffix(".nii") || output.hasSuffix(".nii.gz") else {
            throw UsageError("--output \(options.output) must end in .nii or .nii.gz")
        }
        let same = { (a: String, b: String) in
            URL(fileURLWithPath: a).standardizedFileURL.resolvingSymlinksInPath() == URL(fileURLWithPath: b).standardizedFileURL.resolvingSymlinksInPath()
        }
        for input in [options.labels] + (options.image.map { [$0] } ?? []) where same(input, options.output) {
            throw UsageError("--output \(options.output) is the input \(input); choose another file name so the input is not overwritten")
        }
        for path in [options.output] + (options.figure.map { [$0] } ?? []) {
            let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw UsageError("\(path): the folder \(folder) does not exist; create it first")
            }
        }
    }

    private static func checkModel(_ model: EvaluationModel) throws {
        guard model.guided else {
            throw UsageError("sample-volume needs a segmentation-guided model, but \(model.folder.unet.path) takes no masks")
        }
        guard model.imageChannels == 1 else {
            throw UsageError("\(model.folder.unet.path) makes \(model.imageChannels)-channel images; sample-volume writes one intensity per voxel (grey models only)")
        }
        let segTypes = model.card.segTypes.count
        guard segTypes <= 1 || model.card.segmentationChannelMode == .single else {
            throw UsageError("\(model.folder.unet.path) takes \(segTypes) seg types in separate channels; sample-volume takes one label volume (train with one seg type, or --segmentation_channel_mode single)")
        }
    }
}
