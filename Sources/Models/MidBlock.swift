import Torch

/// What sits at the bottom of the U-Net: diffusers' mid block alone (keys `mid_block.resnets.*`,
/// `mid_block.attentions.0.*`) or followed by the MDFormer in the fork's wrapper.
protocol MidBlock: Module {
    func callAsFunction(_ x: Tensor, time: Tensor) -> Tensor
}

extension UNetMidBlock2D: MidBlock {}

/// The fork's `CustomMidBlock`: MDFormer(mid_block(h, temb)), with no residual around the MDFormer
/// and no timestep input to it (docs/python-reference.md §4.1). Keys `mid_block.orig_mid_block.*`, `mid_block.MDFormer.*`.
final class MidBlockWithMDFormer: Module, MidBlock {
    @Child(key: "orig_mid_block") var block: UNetMidBlock2D
    @Child(key: "MDFormer") var mdformer: MDFormer

    init(block: UNetMidBlock2D, mdformer: MDFormer) {
        _block.wrappedValue = block
        _mdformer.wrappedValue = mdformer
    }

    func callAsFunction(_ x: Tensor, time: Tensor) -> Tensor {
        mdformer(block(x, time: time))
    }
}
