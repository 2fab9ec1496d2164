import Torch

/// The timestep's conditioning vector: emb = linear_2(SiLU(linear_1(sinusoid(t)))) (docs/python-reference.md §3.3).
final class TimestepEmbedding: Module {
    @Child(key: "linear_1") var hidden: Linear
    @Child(key: "linear_2") var output: Linear
    let sinusoid: SinusoidalTimesteps

    init(channels: Int, embeddingDim: Int, flipSinToCos: Bool, freqShift: Int) {
        sinusoid = SinusoidalTimesteps(dim: channels, flipSinToCos: flipSinToCos, freqShift: freqShift)
        _hidden.wrappedValue = Linear(channels, embeddingDim)
        _output.wrappedValue = Linear(embeddingDim, embeddingDim)
    }

    /// timesteps: [B]; the code is cast to the weights' dtype, as diffusers does.
    func callAsFunction(_ timesteps: Tensor) -> Tensor {
        let code = sinusoid(timesteps).to(hidden.weight.dtype)
        return output(hidden(code).silu())
    }
}
