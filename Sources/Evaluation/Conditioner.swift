import Datasets
import Torch

/// Turns the label maps of a batch into the masks the network is conditioned on: merged as the
/// model's channel mode says, with its context slices (`SliceConditioning`), blanked for
/// `--eval_blank_mask`, ablated once per sample when ablation is on (with the sample's own seed;
/// a slice and its context lose the same classes), and encoded. A model that takes the previous
/// slice gets none here (every slice is sampled as a volume's first); only `sample-volume`
/// generates slices in order.
public struct Conditioner {
    public let encoder: MaskEncoder
    public let ablation: MaskAblation?
    public let blank: Bool
    public let conditioning: SliceConditioning
    public let imageChannels: Int

    public init(encoder: MaskEncoder, ablation: MaskAblation?, blank: Bool, conditioning: SliceConditioning = .none,
                imageChannels: Int = 1) {
        self.encoder = encoder
        self.ablation = ablation
        self.blank = blank
        self.conditioning = conditioning
        self.imageChannels = imageChannels
    }

    /// `perType` [B, T, S, S] (with its context slices' [B, 2k, T, S, S], or nil: each slice stands
    /// for its neighbours) -> the slice's own labels actually used [B, L, S, S] (int64) and the
    /// encoded condition.
    public func condition(_ perType: Tensor, context: Tensor? = nil, ablationSeeds: [UInt64]) -> (labels: Tensor, masks: Tensor) {
        var labels = conditioning.labels(centre: perType, context: context, encoder: encoder)
        if blank { labels = Tensor.zeros(like: labels) }
        if let ablation {
            let rows = ablationSeeds.enumerated().map { slot, seed in
                ablation(labels.narrowed(dim: 0, start: slot, length: 1), generator: Generator(seed: seed))
            }
            labels = Tensor.cat(rows)
        }
        let masks = conditioning.encoded(labels, previous: nil, imageChannels: imageChannels, encoder: encoder)
        return (conditioning.centre(of: labels, encoder: encoder), masks)
    }

    /// The encoded all-background condition [1, Cm, S, S], the unguided half of mask guidance.
    public func blankCondition(size: Int) -> Tensor {
        let labels = Tensor.zeros([1, encoder.labelChannels * (2 * conditioning.contextSlices + 1), size, size], TensorOptions(.int64))
        return conditioning.encoded(labels, previous: nil, imageChannels: imageChannels, encoder: encoder)
    }
}
