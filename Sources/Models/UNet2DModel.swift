import ModelCard
import Torch

/// diffusers' UNet2DModel built from its config.json, optionally with the MDFormer after the mid
/// block (docs/python-reference.md §3, 4). State-dict keys equal diffusers' (and the fork's) exactly.
public final class UNet2DModel: Module {
    @Child(key: "conv_in") var convIn: Conv2d
    @Child(key: "time_embedding") var timeEmbedding: TimestepEmbedding
    @Child(key: "down_blocks") var downBlocks: [DownBlock2D]
    @Child(key: "mid_block") var midBlock: any MidBlock
    @Child(key: "up_blocks") var upBlocks: [UpBlock2D]
    @Child(key: "conv_norm_out") var normOut: GroupNorm
    @Child(key: "conv_out") var convOut: Conv2d

    public let config: UNetConfig
    /// The MDFormer's settings, or nil for a plain diffusers U-Net.
    public let mdformerConfig: MDFormerConfig?

    /// The config must be valid (`UNetConfig.validate`); `read` and the checkpoint loader check it.
    public init(config: UNetConfig, mdformer: MDFormerConfig?) {
        self.config = config
        self.mdformerConfig = mdformer
        let settings = BlockSettings(config)
        let channels = config.blockOutChannels, levels = channels.count
        _convIn.wrappedValue = Conv2d(config.inChannels, channels[0], kernelSize: 3, padding: 1)
        _timeEmbedding.wrappedValue = TimestepEmbedding(channels: channels[0], embeddingDim: config.timeEmbeddingDim,
                                                        flipSinToCos: config.flipSinToCos, freqShift: config.freqShift)
        // Encoder, recording the channels of every skip it pushes (conv_in's output first).
        var skipChannels = [channels[0]]
        var downBlocks: [DownBlock2D] = []
        for (i, kind) in config.downBlockTypes.enumerated() {
            let block = DownBlock2D(i == 0 ? channels[0] : channels[i - 1], channels[i], layers: config.layersPerBlock,
                                    withAttention: kind == "AttnDownBlock2D", downsample: i < levels - 1, settings: settings)
            skipChannels += Array(repeating: channels[i], count: config.layersPerBlock + (i < levels - 1 ? 1 : 0))
            downBlocks.append(block)
        }
        _downBlocks.wrappedValue = downBlocks
        let mid = UNetMidBlock2D(channels: channels[levels - 1], settings: settings)
        _midBlock.wrappedValue = mdformer.map { MidBlockWithMDFormer(block: mid, mdformer: MDFormer(channels: channels[levels - 1], config: $0)) } ?? mid
        // Decoder: each level takes layers + 1 skips from the top of the stack, newest first.
        var upBlocks: [UpBlock2D] = []
        var previous = channels[levels - 1]
        for (i, kind) in config.upBlockTypes.enumerated() {
            let out = channels[levels - 1 - i]
            let taken = Array(skipChannels.suffix(config.layersPerBlock + 1).reversed())
            skipChannels.removeLast(taken.count)
            upBlocks.append(UpBlock2D(previousChannels: previous, skipChannels: taken, out,
                                      withAttention: kind == "AttnUpBlock2D", upsample: i < levels - 1, settings: settings))
            previous = out
        }
        _upBlocks.wrappedValue = upBlocks
        _normOut.wrappedValue = GroupNorm(groups: config.normNumGroups, channels: channels[0], eps: config.normEps)
        _convOut.wrappedValue = Conv2d(channels[0], config.outChannels, kernelSize: 3, padding: 1)
    }

    /// The MDFormer, when the model has one.
    public var mdformer: MDFormer? { (midBlock as? MidBlockWithMDFormer)?.mdformer }

    /// The predicted noise for `x` [B, in, H, W] at `timesteps`: int64 [B], or 0-d (or [1]) for the
    /// whole batch. Returns [B, out, H, W].
    public func callAsFunction(_ x: Tensor, timesteps: Tensor) -> Tensor {
        let (batch, channels) = (x.shape[0], x.shape[1])
        precondition(channels == config.inChannels, "UNet2DModel: input has \(channels) channels, config.json says \(config.inChannels)")
        let factor = 1 << (config.blockOutChannels.count - 1)
        precondition(x.shape[2] % factor == 0 && x.shape[3] % factor == 0,
                     "UNet2DModel: image size \(x.shape[2])x\(x.shape[3]) is not a multiple of \(factor)")
        let t = timesteps.to(x.device).reshaped(-1).expanded(to: [batch])
        let time = timeEmbedding(t)
        var h = convIn(config.centerInputSample ? x * 2 - 1 : x)
        var skips = [h]
        for block in downBlocks {
            let (out, pushed) = block(h, time: time)
            h = out
            skips += pushed
        }
        h = midBlock(h, time: time)
        for block in upBlocks {
            let taken = Array(skips.suffix(block.resnets.count).reversed())
            skips.removeLast(taken.count)
            h = block(h, skips: taken, time: time)
        }
        return convOut(normOut(h).silu())
    }

    /// Moves parameters and buffers (the MDFormer's high-pass kernel) to a device and/or dtype.
    public func move(to device: Device, dtype: DType? = nil) {
        mapParameters { $0.to(TensorOptions(dtype ?? $0.dtype, on: device)) }
        let floatType = dtype ?? parameters().first?.dtype ?? .float32
        mdformer?.moveBuffers(to: TensorOptions(floatType, on: device))
    }
}
