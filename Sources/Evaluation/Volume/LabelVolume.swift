import Datasets
import Foundation
import Torch
import Training

/// A label volume as a model needs it: integer labels, grouped into the model's classes as the
/// model's data were at import, checked against the class count before any sampling.
struct LabelVolume {
    /// As read: its header gives the output's geometry.
    let volume: NiftiVolume
    /// [z, y, x] int64 classes.
    let classes: Tensor

    /// - Parameters:
    ///   - grouping: the label map of the import (or `--label_map`); nil keeps the labels.
    ///   - classCount: the model's K, when known.
    ///   - model: the run folder, for messages.
    static func read(_ path: String, grouping: LabelGrouping?, classCount: Int?, model: String) throws -> LabelVolume {
        let volume = try NiftiVolume.read(path)
        return try Engine.catching {
            let values = volume.data
            if values.dtype.isFloatingPoint, values.ne(values.rounded()).any().item != 0 {
                throw DataError("\(path) holds non-integer values; a label volume needs integer labels (a segmentation, not an image)")
            }
            var classes = values.to(.int64)
            if classes.min().item < 0 { throw DataError("\(path) has negative labels; labels must be 0 or more") }
            if let grouping { classes = grouping.apply(classes) }
            let highest = Int(classes.max().item)
            if let classCount, highest >= classCount {
                let how = grouping == nil
                    ? "group its labels as the training data were (--label_map, or --import_record with import-nifti's \(NiftiImportRecord.fileName))"
                    : "check the label map (--label_map or the import record)"
                throw DataError("\(path) has class \(highest)\(grouping == nil ? "" : " after the label map"), but the model in \(model) knows \(classCount) classes (0-\(classCount - 1)); \(how)")
            }
            return LabelVolume(volume: volume, classes: classes)
        }
    }

    /// A real image on the same grid, as float32 [z, y, x].
    static func realImage(_ path: String, matching labels: LabelVolume, labelPath: String) throws -> Tensor {
        let image = try NiftiVolume.read(path)
        guard image.dims == labels.volume.dims else {
            let shape = { (dims: [Int]) in dims.map(String.init).joined(separator: "x") }
            throw DataError("\(path) is \(shape(image.dims)) voxels, but \(labelPath) is \(shape(labels.volume.dims)); give the image the labels were drawn on (--image)")
        }
        return image.data.to(.float32)
    }
}
