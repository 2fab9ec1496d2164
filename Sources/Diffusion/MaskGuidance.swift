import Torch

/// Classifier-free mask guidance: the noise prediction is pushed away from the unguided one,
///
///     ε̂ = (1 + w)·ε̂(x, mask) − w·ε̂(x, blank),
///
/// where `blank` is the all-background mask. A model learns both predictions when training replaces
/// a fraction of its masks by the blank one (`--cfg_p_uncond`); w = 0 is plain conditioning.
public struct MaskGuidance {
    /// w.
    public let scale: Double
    /// The encoded all-background condition, [1, Cm, H, W] or [B, Cm, H, W].
    public let blank: Tensor

    public init(scale: Double, blank: Tensor) {
        self.scale = scale
        self.blank = blank
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
        return Self.combine(guided: guided, unguided: unguided, scale: scale)
    }

    /// (1 + w)·guided − w·unguided, in the predictions' dtype.
    public static func combine(guided: Tensor, unguided: Tensor, scale: Double) -> Tensor {
        let pushed = guided * (1 + scale)
        return pushed - unguided * scale
    }
}
