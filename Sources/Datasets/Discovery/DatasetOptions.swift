import ModelCard

/// What the caller (a training or evaluation mode) needs from the data, from its flags.
public struct DatasetOptions: Sendable {
    /// `--img_dir`: IMG/{train,val,test}/NAME. Nil in mask-only evaluation.
    public var imageDirectory: String?
    /// `--seg_dir`: MASK/<seg type>/{train,val,test}/NAME. Nil for unconditional models.
    public var maskDirectory: String?
    /// The splits this mode reads (train: train and val; eval modes: test only).
    public var splits: [Split]
    /// `--num_img_channels`.
    public var imageChannels: Int
    /// `--num_segmentation_classes` (K, background included); nil skips the label check.
    public var segmentationClasses: Int?
    /// `--img_size`.
    public var imageSize: Int
    public var normalization: IntensityNormalization
    public var maskEncoding: MaskEncoding
    public var channelMode: SegmentationChannelMode
    /// Context slices and the previous slice (from the model's card); anything but `.none` needs
    /// the import's slices.csv beside the data.
    public var conditioning: SliceConditioning = .none

    public init(imageDirectory: String?, maskDirectory: String?, splits: [Split], imageChannels: Int = 1,
                segmentationClasses: Int?, imageSize: Int, normalization: IntensityNormalization = .none,
                maskEncoding: MaskEncoding = .scaled, channelMode: SegmentationChannelMode = .single) {
        self.imageDirectory = imageDirectory
        self.maskDirectory = maskDirectory
        self.splits = splits
        self.imageChannels = imageChannels
        self.segmentationClasses = segmentationClasses
        self.imageSize = imageSize
        self.normalization = normalization
        self.maskEncoding = maskEncoding
        self.channelMode = channelMode
    }
}
