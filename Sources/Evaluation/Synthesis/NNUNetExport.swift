import Datasets
import Foundation
import Torch
import Training

/// `--nnunet DIR/DatasetNNN_Name`: the synthesized pairs as an nnU-Net v2 raw data set, which
/// nnU-Net's planning and training read as they are:
///
///     DatasetNNN_Name/imagesTr/NAME_0000.png     (one file; RGB images carry their 3 channels in it)
///     DatasetNNN_Name/labelsTr/NAME.png          (the seg types merged as the model merges them)
///     DatasetNNN_Name/dataset.json               (channel_names, labels, numTraining, file_ending)
///
/// Every pair goes to imagesTr (val included): nnU-Net draws its own cross-validation folds.
struct NNUNetExport {
    let folder: URL
    let channelNames: [String]
    /// "background" first, as nnU-Net requires, then one name per class 1..K-1.
    let labelNames: [String]
    let encoder: MaskEncoder
    let checkpoint: String

    static let fileEnding = ".png"

    /// Checks what nnU-Net needs before anything is sampled.
    init(path: String, model: EvaluationModel, classes: Int, segTypeCount: Int, imageFormat: SampleImageWriter.Format,
         channelNames: [String]?, classNames: [String]?) throws {
        folder = URL(fileURLWithPath: path).standardizedFileURL
        let name = folder.lastPathComponent
        guard name.range(of: #"^Dataset[0-9]{3}_[A-Za-z0-9_.-]+$"#, options: .regularExpression) != nil else {
            throw UsageError("--nnunet \(path): nnU-Net's raw data sets are named DatasetNNN_Name (three digits, then a name), for example nnUNet_raw/Dataset501_SynthBrain")
        }
        guard imageFormat == .png else {
            throw UsageError("--nnunet: this model's images are written as NPY (\(model.imageChannels) channels or windowed intensities), which nnU-Net's 2-D PNG reader cannot take; drop --nnunet and convert the NPY files with nnU-Net's own tools")
        }
        if model.card.segmentationChannelMode == .multi && segTypeCount > 1 {
            throw UsageError("--nnunet: this model keeps \(segTypeCount) seg types as separate maps (multi mode), but nnU-Net takes one label map per case; synthesize from one seg type for nnU-Net")
        }
        let defaults = model.imageChannels == 3 ? ["R", "G", "B"] : ["image"]
        self.channelNames = channelNames ?? defaults
        guard self.channelNames.count == model.imageChannels else {
            throw UsageError("--modality: \(self.channelNames.count) names for \(model.imageChannels)-channel images; give one name per channel, for example --modality \(defaults.joined(separator: ","))")
        }
        let names = classNames ?? model.card.classNames ?? (0..<classes).map { $0 == 0 ? "background" : "class_\($0)" }
        guard names.count == classes else {
            throw UsageError("--class_names: \(names.count) names for \(classes) classes; give one per class 0-\(classes - 1), background first")
        }
        labelNames = ["background"] + names.dropFirst()
        guard Set(labelNames).count == labelNames.count else {
            throw UsageError("--class_names: \(labelNames.joined(separator: ",")) names a class twice (class 0 is always \"background\" for nnU-Net); give each class its own name")
        }
        encoder = model.maskEncoder(segTypeCount: segTypeCount)
        checkpoint = model.folder.path
    }

    func imageFile(_ stem: String) -> String { "imagesTr/\(stem)_0000\(Self.fileEnding)" }
    func labelFile(_ stem: String) -> String { "labelsTr/\(stem)\(Self.fileEnding)" }

    /// Refuses a folder holding cases this run would not write (another data set's, or a run with
    /// other settings): nnU-Net would train on them too.
    func checkFolder(stems: [String]) throws {
        let expected = Set(stems.flatMap { [imageFile($0), labelFile($0)] })
        for sub in ["imagesTr", "labelsTr"] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(sub).path)) ?? []
            if let stray = names.sorted().first(where: { !$0.hasPrefix(".") && !expected.contains("\(sub)/\($0)") }) {
                throw UsageError("--nnunet \(folder.path): \(sub)/\(stray) is not one of this data set's cases; give --nnunet a new or empty DatasetNNN_Name folder")
            }
        }
    }

    /// Writes the cases `pairs` (stem, image file, mask files per seg type, all under `root`) and
    /// dataset.json. Cases already there are kept: they are copies of files that do not change.
    func write(_ pairs: [(stem: String, image: URL, masks: [URL])], description: String) throws {
        for sub in ["imagesTr", "labelsTr"] { try OutputFolder.create(folder.appendingPathComponent(sub)) }
        for pair in pairs {
            let image = folder.appendingPathComponent(imageFile(pair.stem))
            if !FileManager.default.fileExists(atPath: image.path) {
                try AtomicFile.write(try Data(contentsOf: pair.image), to: image.path)
            }
            let label = folder.appendingPathComponent(labelFile(pair.stem))
            if !FileManager.default.fileExists(atPath: label.path) {
                let perType = try pair.masks.map { url -> Tensor in
                    guard let plane = try ImageFile.read(url.path).labelPlane() else {
                        throw UsageError("\(url.path): not a label map; remove it and run again to remake it")
                    }
                    return plane.to(.int64)
                }
                let merged = encoder.combined(Tensor.cat(perType, dim: 0).unsqueezed(0))   // [1, 1, S, S]
                try SampleImageWriter.writeLabels(merged.selected(dim: 0, index: 0), to: label.path)
            }
        }
        let json: [String: Any] = [
            "name": folder.lastPathComponent,
            "description": description,
            "channel_names": Dictionary(uniqueKeysWithValues: channelNames.enumerated().map { ("\($0.offset)", $0.element) }),
            "labels": Dictionary(uniqueKeysWithValues: labelNames.enumerated().map { ($0.element, $0.offset) }),
            "numTraining": pairs.count,
            "file_ending": Self.fileEnding,
            "overwrite_image_reader_writer": "NaturalImage2DIO",
        ]
        try writeJSON(json, to: folder.appendingPathComponent("dataset.json"))
    }
}
