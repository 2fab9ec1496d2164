import Torch

/// Samples as stored in a file, before any resizing or normalisation.
public struct RawImage: @unchecked Sendable {
    /// [C, H, W] in the file's own element type (uint8, uint16, int16, float32 or float64).
    public var samples: Tensor
    /// Bits per sample for unsigned integer files (1-16); nil for signed and floating-point data.
    public var bitDepth: Int?
    /// True when `samples` holds palette indices; `palette` ([N, 3] uint8) gives their colours.
    public var isPalette: Bool
    public var palette: Tensor?
    /// True when the last channel is alpha (grey+alpha or RGBA PNGs).
    public var hasAlpha: Bool

    public init(samples: Tensor, bitDepth: Int?, isPalette: Bool = false, palette: Tensor? = nil, hasAlpha: Bool = false) {
        self.samples = samples
        self.bitDepth = bitDepth
        self.isPalette = isPalette
        self.palette = palette
        self.hasAlpha = hasAlpha
    }

    public var channels: Int { samples.shape[0] }
    public var height: Int { samples.shape[1] }
    public var width: Int { samples.shape[2] }

    /// The largest value the file's integer type can hold (255 for 8-bit, 65535 for 16-bit).
    public var integerMaximum: Double? {
        if let bitDepth { return Double((1 << bitDepth) - 1) }
        return nil
    }
}
