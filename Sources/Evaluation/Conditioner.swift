import Datasets
import Torch

/// Turns the label maps of a batch into the masks the network is conditioned on: merged as the
/// model's channel mode says, blanked for `--eval_blank_mask`, ablated once per sample when
/// ablation is on (with the sample's own seed), and encoded.
public struct Conditioner {
    public let encoder: MaskEncoder
    public let ablation: MaskAblation?
    public let blank: Bool

    public init(encoder: MaskEncoder, ablation: MaskAblation?, blank: Bool) {
        self.encoder = encoder
        self.ablation = ablation
        self.blank = blank
    }

    /// `perType` [B, T, S, S] -> the labels actually used [B, L, S, S] (int64) and their encoding.
    public func condition(_ perType: Tensor, ablationSeeds: [UInt64]) -> (labels: Tensor, masks: Tensor) {
        var labels = encoder.combined(perType)
        if blank { labels = Tensor.zeros(like: labels) }
        if let ablation {
            let rows = ablationSeeds.enumerated().map { slot, seed in
                ablation(labels.narrowed(dim: 0, start: slot, length: 1), generator: Generator(seed: seed))
            }
            labels = Tensor.cat(rows)
        }
        return (labels, encoder.encoded(labels))
    }
}
