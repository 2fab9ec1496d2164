import Torch

/// Classifier-free mask guidance: the noise prediction is pushed away from the unguided one,
///
///     ε̂ = ε̂(x, mask) + w·low(Δ) + d·high(Δ),   Δ = ε̂(x, mask) − ε̂(x, blank),
///
/// where `blank` is the all-background mask, low(Δ) is Δ blurred to half resolution and back, and
/// high(Δ) = Δ − low(Δ) its finest octave. With d = w this is the standard classifier-free formula
/// (1 + w)·ε̂(x, mask) − w·ε̂(x, blank). A model learns both predictions when training replaces a
/// fraction of its masks by the blank one (`--cfg_p_uncond`); w = 0 is plain conditioning.
///
/// Why d defaults to 0: the guidance direction carries the network's pixel-level errors as well as
/// the anatomy, and w multiplies both, so strong standard guidance turns into speckle. Guiding only
/// the coarse part (frequency-decoupled guidance) keeps the anatomy's push and leaves fine texture to
/// the conditional prediction: on the demo brain at w = 3 Dice 0.69 -> 0.77 and FID 1.1 -> 0.6.
///
/// Large w also over-exposes images (their contrast and mean brightness grow with w). `rescale` φ
/// (Lin et al. 2024, diffusers' `guidance_rescale`) pulls each sample's guided prediction back to the
/// standard deviation of its guided-only one: φ·(ε̂·std(ε̂_mask)/std(ε̂)) + (1 − φ)·ε̂.
public struct MaskGuidance {
    /// w.
    public let scale: Double
    /// The encoded all-background condition, [1, Cm, H, W] or [B, Cm, H, W].
    public let blank: Tensor
    /// d, the scale of the guidance's finest octave; equal to `scale` for the standard formula.
    public let detailScale: Double
    /// φ in [0, 1]; 0 leaves the guided prediction as it is.
    public let rescale: Double

    public init(scale: Double, blank: Tensor, detailScale: Double = 0, rescale: Double = 0) {
        self.scale = scale
        self.blank = blank
        self.detailScale = detailScale
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
        return Self.combine(guided: guided, unguided: unguided, scale: scale, detailScale: detailScale, rescale: rescale)
    }

    /// guided + w·low(Δ) + d·high(Δ) with Δ = guided − unguided, in the predictions' dtype, then
    /// rescaled by φ. With d = w it is computed as (1 + w)·guided − w·unguided.
    public static func combine(guided: Tensor, unguided: Tensor, scale: Double, detailScale: Double, rescale: Double = 0) -> Tensor {
        let combined: Tensor
        if detailScale == scale {
            combined = guided * (1 + scale) - unguided * scale
        } else {
            let difference = guided - unguided
            let coarse = coarsePart(of: difference)
            combined = guided + coarse * scale + (difference - coarse) * detailScale
        }
        guard rescale > 0 else { return combined }
        let dims = Array(1..<combined.rank)
        let ratio = guided.std(dims: dims, keepDim: true) / combined.std(dims: dims, keepDim: true)
        let matched = combined * ratio
        return matched * rescale + combined * (1 - rescale)
    }

    /// `images` [B, C, H, W] blurred to half resolution (antialiased) and back: what remains when the
    /// finest octave, features of one or two pixels, is taken out. Sides below 2 keep everything.
    static func coarsePart(of images: Tensor) -> Tensor {
        let (height, width) = (images.shape[2], images.shape[3])
        guard height >= 2, width >= 2 else { return images }
        return images.interpolated(height: height / 2, width: width / 2, mode: .bilinearAntialias)
            .interpolated(height: height, width: width, mode: .bilinear)
    }
}
