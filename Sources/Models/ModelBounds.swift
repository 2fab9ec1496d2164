/// Sanity bounds on the sizes a model file or a flag may ask for. They sit far above any model
/// segmadiff trains (the default U-Net has 6 levels of at most 512 channels), and exist so that a
/// corrupt or hostile config.json (`block_out_channels` of 100000, `layers_per_block` of 10^6) is
/// refused with a message instead of building a model that exhausts memory. How much memory a
/// sane-looking size needs is a separate question, not answered here.
public enum ModelBounds {
    /// U-Net levels (entries of block_out_channels).
    public static let levels = 8
    /// Channels of one level.
    public static let channels = 4096
    /// ResNet layers per level.
    public static let layersPerBlock = 16
    /// Input or output channels of the U-Net (image plus mask channels).
    public static let ioChannels = 1024
    /// Image side in pixels (config.json's sample_size, --img_size).
    public static let imageSide = 8192
    /// MDFormer state size (d_state; the paper uses 16).
    public static let stateSize = 256
    /// MDFormer channel expansion (expand; the paper uses 2).
    public static let expand = 16
    /// MDFormer kernel sides (kernel_size, highpass_kernel_size).
    public static let kernelSide = 63
}
