import ModelCard
import Torch

/// Turns integer label maps into the network's conditioning channels (docs/python-reference.md §2.3-2.5, docs/architecture.md §10).
public struct MaskEncoder: Sendable {
    public var encoding: MaskEncoding
    public var channelMode: SegmentationChannelMode
    /// K, background included.
    public var classes: Int
    /// Seg types (mask folders), in sorted order.
    public var segTypeCount: Int

    public init(encoding: MaskEncoding, channelMode: SegmentationChannelMode, classes: Int, segTypeCount: Int) {
        self.encoding = encoding
        self.channelMode = channelMode
        self.classes = classes
        self.segTypeCount = segTypeCount
    }

    /// Label maps after `combined`: 1 in `single` mode, one per seg type in `multi` mode.
    public var labelChannels: Int { channelMode == .single ? 1 : segTypeCount }

    /// Conditioning channels the network sees (its in_channels = image channels + this).
    public var maskChannels: Int { encoding == .onehot ? labelChannels * (classes - 1) : labelChannels }

    /// [B, T, S, S] labels, one map per seg type -> [B, labelChannels, S, S].
    ///
    /// `single` merges as the reference does: walking the types in order, a pixel takes the first
    /// non-zero label (an earlier type wins), with no per-type offset. `multi` keeps the maps apart.
    public func combined(_ perType: Tensor) -> Tensor {
        guard channelMode == .single, perType.shape[1] > 1 else { return perType }
        var merged = perType.narrowed(dim: 1, start: 0, length: 1)
        for type in 1..<perType.shape[1] {
            let next = perType.narrowed(dim: 1, start: type, length: 1)
            merged = Tensor.where(merged.eq(0), next, merged)
        }
        return merged
    }

    /// [B, L, S, S] integer labels -> [B, maskChannels, S, S] float32.
    public func encoded(_ labels: Tensor) -> Tensor {
        let values = labels.to(.float32)
        switch encoding {
        case .seed:
            return values / 255
        case .scaled:
            return values * (2 / Double(Swift.max(classes - 1, 1))) - 1
        case .onehot:
            let shape = labels.shape
            // [B, L, S, S, K] -> drop background -> [B, L, K-1, S, S] -> [B, L·(K-1), S, S]
            let hot = labels.clamped(min: 0, max: Double(classes - 1)).to(.int64).oneHot(classes: classes)
            let foreground = hot.narrowed(dim: 4, start: 1, length: classes - 1).permuted(0, 1, 4, 2, 3)
            return foreground.reshaped([shape[0], shape[1] * (classes - 1), shape[2], shape[3]]).to(.float32)
        }
    }
}
