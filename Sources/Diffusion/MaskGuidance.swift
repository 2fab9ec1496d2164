import Torch

/// Classifier-free mask guidance: the noise prediction is pushed away from the unguided one,
///
///     ε̂ = (1 + w)·ε̂(x, mask) − w·ε̂(x, blank),
///
/// where `blank` is the all-background mask. A model learns both predictions when training replaces
/// a fraction of its masks by the blank one (`--cfg_p_uncond`); w = 0 is plain conditioning.
///
/// Large w over-exposes images (their contrast and mean brightness grow with w). `rescale` φ
/// (Lin et al. 2024, diffusers' `guidance_rescale`) pulls each sample's guided prediction back to the
/// standard deviation of its guided-only one: φ·(ε̂·std(ε̂_mask)/std(ε̂)) + (1 − φ)·ε̂.
public struct MaskGuidance {
    /// w.
    public let scale: Double
    /// The encoded all-background condition, [1, Cm, H, W] or [B, Cm, H, W].
    public let blank: Tensor
    /// φ in [0, 1]; 0 leaves the guided prediction as it is.
    public let rescale: Double

    public init(scale: Double, blank: Tensor, rescale: Double = 0) {
        self.scale = scale
        self.blank = blank
        self.rescale = rescale
    }

    /// Whether the unguided prediction is needed at all (w = 0 is the plain conditional sampler).
    public var isActive: Bool { scale != 0 }

    /// The guided prediction from one forward pass over 2B samples: the B guided inputs followed by
    /// the same B noisy images with the blank condition.
    public func predict(_ denoiser: Denoiser, image x: Tensor, condition: Tensor, timestep: Tensor) -> Tensor {
        let batch = x.shape[0]
        let blankCondition = blank.to(TensorOptions(x.dtype, on: x.device)).expanded(to: condition.shape)
        let input = Tensor.cat([Tensor.cat([x, condition], dim: 1), Tensor.cat([x, blankCondition], dim: 1)], dim: 0)
        let both = denoiser(input, Tensor.cat([timestep, timestep], dim: 0))
        let guided = both.narrowed(dim: 0, start: 0, length: batch)
        let unguided = both.narrowed(dim: 0, start: batch, length: batch)
        return Self.combine(guided: guided, unguided: unguided, scale: scale, rescale: rescale)
    }

    /// (1 + w)·guided − w·unguided, in the predictions' dtype, then rescaled by φ.
    public static func combine(guided: Tensor, unguided: Tensor, scale: Double, rescale: Double = 0) -> Tensor {
        let pushed = guided * (1 + scale)
        let combined = pushed - unguided * scale
        guard rescale > 0 else { return combined }
        let dims = Array(1..<combined.rank)
        let ratio = guided.std(dims: dims, keepDim: true) / combined.std(dims: dims, keepDim: true)
        let matched = combined * ratio
        return matched * rescale + combined * (1 - rescale)
    }
}
