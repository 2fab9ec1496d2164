import Datasets
import Foundation

/// The anatomical plane slices are generated in; which voxel axis that is follows from the
/// volume's orientation (its qform/sform), not from the order of its voxels.
public enum AnatomicalAxis: String, CaseIterable, Sendable {
    case axial, coronal, sagittal

    /// The world axis the slices are taken across: 2 inferior-superior, 1 posterior-anterior, 0 left-right.
    public var worldAxis: Int {
        switch self {
        case .axial: 2
        case .coronal: 1
        case .sagittal: 0
        }
    }

    public init(worldAxis: Int) {
        self = [.sagittal, .coronal, .axial][worldAxis]
    }
}

/// What `segmadiff sample-volume` is told.
public struct VolumeSamplingOptions: Sendable {
    /// The model, the sampler and its settings, the seed, the batch size (`--eval_batch_size`).
    public var evaluation: EvaluationOptions
    /// The label volume to generate an image for.
    public var labels: String
    /// The NIfTI written (`.nii` or `.nii.gz`).
    public var output: String
    /// A real image on the labels' grid: shown beside the generated one, and measured the same way.
    public var image: String?
    /// The orthogonal-view figure: PATH.png and PATH.pdf (an extension given is replaced).
    public var figure: String?
    /// The plane to generate slices in; nil takes the one the model's data were cut in.
    public var axis: AnatomicalAxis?
    /// Leave slices without labels at background instead of generating them.
    public var skipEmpty = false
    /// ρ of `SliceNoise`.
    public var sliceNoiseCorrelation = 0.5
    /// The import record of the model's data; nil looks for it (`ImportRecordLocator`).
    public var importRecord: String?
    /// `--label_map`: replaces the record's label grouping.
    public var labelGrouping: LabelGrouping?
    /// `--window LOW,HIGH`: replaces the record's intensity map.
    public var window: (low: Double, high: Double)?
    /// `--segmenter`: a trained segmenter that scores each generated slice's Dice against its labels.
    public var segmenter: String?
    /// `--dicom`: also write the volume as a new DICOM series into this folder.
    public var dicom: String?
    /// The series' modality; nil: CT when the values are in a window's units (HU), else MR.
    public var dicomModality: String?

    public init(evaluation: EvaluationOptions, labels: String, output: String) {
        self.evaluation = evaluation
        self.labels = labels
        self.output = output
    }
}
