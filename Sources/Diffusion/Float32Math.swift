import Torch

/// Float32 square roots and exponentials evaluated by libtorch on 0-d tensors, as diffusers
/// evaluates its scheduler scalars. libtorch's CPU kernels are not always correctly rounded (its
/// sqrt differs from IEEE `squareRoot()` in the last bit for about one ᾱ_t in six), so plain Swift
/// maths would drift from the reference by an ulp per step. Arithmetic (+ − × ÷) is IEEE in both
/// and stays in Swift.
enum Float32Math {
    static func sqrt(_ x: Float) -> Float { Tensor(scalar: x).sqrt().float }
    static func exp(_ x: Float) -> Float { Tensor(scalar: x).exp().float }
}
