import Foundation

/// What `unet/config.json` cannot say about a SegMaDiff model, saved beside it as
/// `unet/segmadiff.json` so that stock diffusers still reads config.json. A checkpoint without this
/// file is a Python-reference one: `ModelCard.reference` describes it.
public struct ModelCard: Codable, Equatable, Sendable {
    /// The MDFormer after the mid block; nil for a plain U-Net.
    public var mdformer: MDFormerConfig?
    public var maskEncoding: MaskEncoding
    public var segmentationChannelMode: SegmentationChannelMode
    /// Mask folders (seg types), sorted; one input channel each in `multi` mode.
    public var segTypes: [String]
    /// Classes including background.
    public var numSegmentationClasses: Int
    public var numImageChannels: Int
    /// How image intensities were mapped to [0, 1] before the [-1, 1] scaling.
    public var normalization: IntensityNormalization
    /// Optional display names of the classes, index = label.
    public var classNames: [String]?
    /// The fraction of training masks replaced by the blank one (`--cfg_p_uncond`), which teaches
    /// the unguided prediction that `--guidance_scale` needs; nil or 0 when not trained so.
    public var cfgPUncond: Double?
    /// k of 2.5-D conditioning (`--context_slices`): the masks of the k slices on each side of a
    /// slice follow its own mask as extra channels. Absent (cards written before it) means 0.
    public var contextSlices: Int?
    /// Whether the network also sees the slice before its own (`--condition_on_previous_slice`):
    /// its image and a channel saying whether there is one. Absent means no.
    public var conditionOnPreviousSlice: Bool?
    /// The standard deviation of the Gaussian noise added to the previous slice's image, in the
    /// image's [-1, 1], in training and sampling alike (`--previous_slice_noise`); absent means 0.
    public var previousSliceNoise: Double?
    public var segmadiffVersion: String?
    /// The optimizer step these weights were saved at (absent in cards written before checkpoints
    /// recorded it): a resume checks it against training_state/state.json, so that weights and
    /// optimizer state of different steps are never continued together.
    public var globalStep: Int?

    public init(mdformer: MDFormerConfig? = MDFormerConfig(), maskEncoding: MaskEncoding = .scaled,
                segmentationChannelMode: SegmentationChannelMode = .single, segTypes: [String] = [],
                numSegmentationClasses: Int, numImageChannels: Int = 1,
                normalization: IntensityNormalization = .none, classNames: [String]? = nil,
                cfgPUncond: Double? = nil, contextSlices: Int? = nil, conditionOnPreviousSlice: Bool? = nil,
                segmadiffVersion: String? = nil) {
        self.mdformer = mdformer
        self.maskEncoding = maskEncoding
        self.segmentationChannelMode = segmentationChannelMode
        self.segTypes = segTypes
        self.numSegmentationClasses = numSegmentationClasses
        self.numImageChannels = numImageChannels
        self.normalization = normalization
        self.classNames = classNames
        self.cfgPUncond = cfgPUncond
        self.contextSlices = contextSlices
        self.conditionOnPreviousSlice = conditionOnPreviousSlice
        self.segmadiffVersion = segmadiffVersion
    }

    enum CodingKeys: String, CodingKey {
        case mdformer
        case maskEncoding = "mask_encoding"
        case segmentationChannelMode = "segmentation_channel_mode"
        case segTypes = "seg_types"
        case numSegmentationClasses = "num_segmentation_classes"
        case numImageChannels = "num_img_channels"
        case normalization
        case classNames = "class_names"
        case cfgPUncond = "cfg_p_uncond"
        case contextSlices = "context_slices"
        case conditionOnPreviousSlice = "condition_on_previous_slice"
        case previousSliceNoise = "previous_slice_noise"
        case segmadiffVersion = "segmadiff_version"
        case globalStep = "global_step"
    }

    public static let fileName = "segmadiff.json"

    /// k of `contextSlices`, 0 when absent.
    public var contextSliceCount: Int { contextSlices ?? 0 }

    /// `conditionOnPreviousSlice`, false when absent.
    public var seesPreviousSlice: Bool { conditionOnPreviousSlice ?? false }

    public static func read(from url: URL) throws -> ModelCard {
        try JSONDecoder().decode(ModelCard.self, from: Data(contentsOf: url))
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        var data = try encoder.encode(self)
        data.append(0x0A)
        return data
    }
}

/// How a mask's class labels become input channels.
public enum MaskEncoding: String, Codable, CaseIterable, Sendable {
    /// The Python reference's k/255 in one channel (mask ~100x weaker than the image).
    case seed
    /// k -> 2k/(K-1) - 1, in the image's [-1, 1] range.
    case scaled
    /// One channel per non-background class.
    case onehot
}

/// The seed's `--segmentation_channel_mode`.
public enum SegmentationChannelMode: String, Codable, CaseIterable, Sendable {
    /// All seg types merged into one label map (one mask channel for `seed`/`scaled`).
    case single
    /// One channel per seg type.
    case multi
}

/// How stored intensities (8/16-bit PNG, NPY) map to [0, 1].
public enum IntensityNormalization: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Integer images divided by their type's maximum (255, 65535); float data taken as already in [0, 1].
    case none
    /// (v - min) / (max - min) of each image.
    case minMax
    /// A fixed window [low, high] clamped and scaled to [0, 1] (for example CT in HU).
    case window(low: Double, high: Double)

    public var description: String {
        switch self {
        case .none: "none"
        case .minMax: "minmax"
        case .window(let low, let high): "window \(low),\(high)"
        }
    }
}

/// The MDFormer variant and its hyperparameters (all hard-coded in the Python fork).
public struct MDFormerConfig: Codable, Equatable, Sendable {
    public enum Variant: String, Codable, CaseIterable, Sendable {
        /// Bit-compatible with the published fork: constant DynamicTanh, A_log [N], the sign-flipped
        /// dt initialisation, the off-centre high-pass grid.
        case reference
        /// The block as the paper describes it: learnable DynamicTanh, A_log [E, N], proper
        /// inverse-softplus dt initialisation, centred kernel.
        case segmadiff
    }

    public var variant: Variant
    public var dState: Int
    public var expand: Int
    public var kernelSize: Int
    public var highpassKernelSize: Int
    public var highpassSigma: Double
    public var dtMin: Double
    public var dtMax: Double

    public init(variant: Variant = .segmadiff, dState: Int = 16, expand: Int = 2, kernelSize: Int = 3,
                highpassKernelSize: Int = 15, highpassSigma: Double = 3.0, dtMin: Double = 1e-3, dtMax: Double = 0.1) {
        self.variant = variant
        self.dState = dState
        self.expand = expand
        self.kernelSize = kernelSize
        self.highpassKernelSize = highpassKernelSize
        self.highpassSigma = highpassSigma
        self.dtMin = dtMin
        self.dtMax = dtMax
    }

    enum CodingKeys: String, CodingKey {
        case variant
        case dState = "d_state"
        case expand
        case kernelSize = "kernel_size"
        case highpassKernelSize = "highpass_kernel_size"
        case highpassSigma = "highpass_sigma"
        case dtMin = "dt_min"
        case dtMax = "dt_max"
    }
}

/// The version of segmadiff that writes files (recorded in segmadiff.json, run.json, training state).
public enum SegMaDiffVersion {
    public static let current = "0.1.0"
}
