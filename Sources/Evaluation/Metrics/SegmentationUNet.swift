import Torch

/// A small U-Net that labels every pixel with one of K classes: an encoder of `ConvBlock`s that
/// halves the side at each level, a decoder that doubles it back and joins the encoder's output of
/// the same level (skip connections), and a 1x1 head giving K logits.
///
/// Its bottleneck, averaged over space, doubles as a feature vector for FID and KID: features of a
/// network trained on this very modality, with no downloaded weights.
final class SegmentationUNet: Module {
    /// Channels per GroupNorm group.
    static let groupSize = 8

    @Child var encoders: [ConvBlock]
    @Child var decoders: [ConvBlock]
    @Child var head: Conv2d

    init(_ config: SegmenterConfig) {
        let widths = config.widths
        var encoders = [ConvBlock(config.imageChannels, widths[0])]
        for level in 1..<widths.count {
            encoders.append(ConvBlock(widths[level - 1], widths[level], stride: 2))
        }
        // Deepest first: decoder i brings level (L-1-i) up to level (L-2-i).
        let decoders = (0..<(widths.count - 1)).reversed().map { level in
            ConvBlock(widths[level + 1] + widths[level], widths[level])
        }
        self.encoders = encoders
        self.decoders = Array(decoders)
        head = Conv2d(widths[0], config.classes, kernelSize: 1)
    }

    /// Logits [B, K, S, S] and the bottleneck activations [B, widths.last, S/f, S/f].
    func callAsFunction(_ x: Tensor) -> (logits: Tensor, bottleneck: Tensor) {
        var skips: [Tensor] = []
        var h = x
        for encoder in encoders {
            h = encoder(h)
            skips.append(h)
        }
        let bottleneck = skips.removeLast()
        h = bottleneck
        for decoder in decoders {
            let skip = skips.removeLast()
            let up = h.interpolated(height: skip.shape[2], width: skip.shape[3], mode: .nearest)
            h = decoder(Tensor.cat([up, skip], dim: 1))
        }
        return (head(h), bottleneck)
    }
}
