import Torch

/// What a decoded file means as an image or as a label map: palettes expanded or kept as indices,
/// alpha dropped, and an RGB file whose three channels are equal counted as grey (docs/architecture.md §10).
extension RawImage {
    /// The image's intensity planes: [1, H, W] for grey, [3, H, W] for colour, [C, H, W] for NPY.
    public func intensityPlanes() -> RawImage {
        var planes = self
        if isPalette, let palette {
            // Palette images are pictures here: show each index as its colour.
            let indices = samples.reshaped([-1]).to(.int64)
            let colours = palette.indexSelect(dim: 0, index: indices.clamped(max: Double(palette.shape[0] - 1)).to(.int64))
            planes = RawImage(samples: colours.transposed(0, 1).reshaped([3, height, width]).contiguous(), bitDepth: 8)
        } else if hasAlpha {
            planes.samples = samples.narrowed(dim: 0, start: 0, length: channels - 1)
            planes.hasAlpha = false
        }
        if planes.channels == 3, bitDepth != nil, planes.isGreyRGB {
            planes.samples = planes.samples.narrowed(dim: 0, start: 0, length: 1)
        }
        return planes
    }

    /// The integer label map [1, H, W], or nil when the file holds colours rather than labels.
    /// 8-bit and signed or floating-point files keep their type; 16-bit ones are widened to int32,
    /// because libtorch has no min, max or resize kernels for uint16 and a 16-bit mask (even one
    /// holding only labels 0-2) would fail in the first reduction over it.
    /// Palette files give their indices, so palette masks keep their labels (docs/python-reference.md §9, defect 11).
    public func labelPlane() -> Tensor? {
        var planes = samples
        if !isPalette && hasAlpha { planes = samples.narrowed(dim: 0, start: 0, length: channels - 1) }
        if planes.shape[0] == 3 && RawImage(samples: planes, bitDepth: bitDepth).isGreyRGB {
            planes = planes.narrowed(dim: 0, start: 0, length: 1)
        }
        guard planes.shape[0] == 1 else { return nil }
        return planes.dtype == .uint16 ? planes.to(.int32) : planes
    }

    /// True for three equal channels.
    var isGreyRGB: Bool {
        guard channels == 3 else { return false }
        let red = samples.selected(dim: 0, index: 0)
        let same = red.eq(samples.selected(dim: 0, index: 1)).logicalAnd(red.eq(samples.selected(dim: 0, index: 2)))
        return same.all().item != 0
    }

    /// "grey", "RGB" or "N channels", for messages.
    public static func channelName(_ channels: Int) -> String {
        switch channels {
        case 1: "1 channel (grey)"
        case 3: "3 channels (RGB)"
        default: "\(channels) channels"
        }
    }
}
