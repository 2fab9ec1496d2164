import Torch

/// x̂0 = (x_t − sqrt(1 − ᾱ_t)·ε̂) / sqrt(ᾱ_t): the clean image implied by a noise prediction, as
/// DDPM and DDIM form it (optionally clipped to ±range, docs/python-reference.md §5.5-5.6).
func predictedOriginal(sample x: Tensor, noise predicted: Tensor, alphaBar: Float, clipRange: Double?) -> Tensor {
    let noiseScale = Float32Math.sqrt(1 - alphaBar)
    let signalScale = Float32Math.sqrt(alphaBar)
    let noisePart = predicted * Double(noiseScale)
    let original = (x - noisePart) / Double(signalScale)
    guard let clipRange else { return original }
    return original.clamped(min: -clipRange, max: clipRange)
}

/// ε = (x_t − sqrt(ᾱ_t)·x̂0) / sqrt(1 − ᾱ_t): the noise that takes `original` to `x`, the inverse of
/// `predictedOriginal` (used to re-derive ε̂ after x̂0 was clipped).
func impliedNoise(sample x: Tensor, original: Tensor, alphaBar: Float) -> Tensor {
    let signalPart = original * Double(Float32Math.sqrt(alphaBar))
    return (x - signalPart) / Double(Float32Math.sqrt(1 - alphaBar))
}
