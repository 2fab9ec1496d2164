import Torch

/// Classifier-free guidance training (`--cfg_p_uncond P`): each sample's labels are replaced, with
/// probability P, by the all-background map, so one model learns the mask-guided and the unguided
/// noise prediction that `--guidance_scale` combines at sampling time.
///
/// Mask ablation removes each class with probability 0.5, so it already blanks a whole mask with
/// probability 2^-(K-1) (1/4 for K = 3, 1/64 for K = 7); the dropout adds P on top of that.
public struct BlankMaskDropout: Sendable {
    public var probability: Double

    public init(probability: Double) {
        self.probability = probability
    }

    /// `labels` [B, L, S, S] (integers) with the dropped samples set to background everywhere.
    public func callAsFunction(_ labels: Tensor, generator: Generator) -> Tensor {
        guard probability > 0 else { return labels }
        let dropped = Tensor.rand([labels.shape[0]], generator: generator).lt(probability).reshaped(-1, 1, 1, 1)
        return Tensor.where(dropped, Tensor.zeros(like: labels), labels)
    }
}
