import Foundation

/// diffusers' `unet/config.json` for a `UNet2DModel` (docs/python-reference.md §3.1, 3.9). Every key diffusers 0.21.4
/// writes is read; a missing key takes diffusers' default. Values segmadiff cannot build are refused
/// by `validate(file:)`, never silently ignored.
public struct UNetConfig: Codable, Equatable, Sendable {
    public var sampleSize: Int?
    public var inChannels: Int
    public var outChannels: Int
    public var centerInputSample: Bool
    public var timeEmbeddingType: String
    public var freqShift: Int
    public var flipSinToCos: Bool
    public var downBlockTypes: [String]
    public var upBlockTypes: [String]
    public var blockOutChannels: [Int]
    public var layersPerBlock: Int
    public var midBlockScaleFactor: Double
    public var downsamplePadding: Int
    public var downsampleType: String
    public var upsampleType: String
    public var dropout: Double
    public var actFn: String
    /// Channels per attention head; nil means one head spanning all channels (diffusers' fallback).
    public var attentionHeadDim: Int?
    public var normNumGroups: Int
    public var normEps: Double
    public var resnetTimeScaleShift: String
    public var addAttention: Bool
    public var classEmbedType: String?
    public var numClassEmbeds: Int?
    /// Newer diffusers keys; accepted only where they change nothing.
    public var attnNormNumGroups: Int?
    public var numTrainTimesteps: Int?

    /// The SegMaDiff layout of docs/python-reference.md §3.1: six levels, attention at the second-lowest resolution.
    public static func segmadiff(sampleSize: Int, inChannels: Int, outChannels: Int, layersPerBlock: Int = 2,
                                 blockOutChannels: [Int] = [128, 128, 256, 256, 512, 512]) -> UNetConfig {
        let levels = blockOutChannels.count
        var down = [String](repeating: "DownBlock2D", count: levels)
        var up = [String](repeating: "UpBlock2D", count: levels)
        if levels >= 2 {
            down[levels - 2] = "AttnDownBlock2D"
            up[1] = "AttnUpBlock2D"
        }
        return UNetConfig(sampleSize: sampleSize, inChannels: inChannels, outChannels: outChannels,
                          downBlockTypes: down, upBlockTypes: up, blockOutChannels: blockOutChannels,
                          layersPerBlock: layersPerBlock)
    }

    public init(sampleSize: Int? = nil, inChannels: Int = 3, outChannels: Int = 3,
                downBlockTypes: [String] = ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
                upBlockTypes: [String] = ["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"],
                blockOutChannels: [Int] = [224, 448, 672, 896], layersPerBlock: Int = 2,
                attentionHeadDim: Int? = 8, normNumGroups: Int = 32, normEps: Double = 1e-5,
                flipSinToCos: Bool = true, freqShift: Int = 0) {
        self.sampleSize = sampleSize
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.centerInputSample = false
        self.timeEmbeddingType = "positional"
        self.freqShift = freqShift
        self.flipSinToCos = flipSinToCos
        self.downBlockTypes = downBlockTypes
        self.upBlockTypes = upBlockTypes
        self.blockOutChannels = blockOutChannels
        self.layersPerBlock = layersPerBlock
        self.midBlockScaleFactor = 1
        self.downsamplePadding = 1
        self.downsampleType = "conv"
        self.upsampleType = "conv"
        self.dropout = 0
        self.actFn = "silu"
        self.attentionHeadDim = attentionHeadDim
        self.normNumGroups = normNumGroups
        self.normEps = normEps
        self.resnetTimeScaleShift = "default"
        self.addAttention = true
        self.classEmbedType = nil
        self.numClassEmbeds = nil
    }

    /// Width of the time-embedding MLP (diffusers: 4 x the first level's channels).
    public var timeEmbeddingDim: Int { blockOutChannels[0] * 4 }

    enum CodingKeys: String, CodingKey {
        case sampleSize = "sample_size", inChannels = "in_channels", outChannels = "out_channels"
        case centerInputSample = "center_input_sample", timeEmbeddingType = "time_embedding_type"
        case freqShift = "freq_shift", flipSinToCos = "flip_sin_to_cos"
        case downBlockTypes = "down_block_types", upBlockTypes = "up_block_types"
        case blockOutChannels = "block_out_channels", layersPerBlock = "layers_per_block"
        case midBlockScaleFactor = "mid_block_scale_factor", downsamplePadding = "downsample_padding"
        case downsampleType = "downsample_type", upsampleType = "upsample_type", dropout
        case actFn = "act_fn", attentionHeadDim = "attention_head_dim", normNumGroups = "norm_num_groups"
        case normEps = "norm_eps", resnetTimeScaleShift = "resnet_time_scale_shift", addAttention = "add_attention"
        case classEmbedType = "class_embed_type", numClassEmbeds = "num_class_embeds"
        case attnNormNumGroups = "attn_norm_num_groups", numTrainTimesteps = "num_train_timesteps"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = UNetConfig()
        sampleSize = try c.decodeIfPresent(Int.self, forKey: .sampleSize)
        inChannels = try c.decodeIfPresent(Int.self, forKey: .inChannels) ?? d.inChannels
        outChannels = try c.decodeIfPresent(Int.self, forKey: .outChannels) ?? d.outChannels
        centerInputSample = try c.decodeIfPresent(Bool.self, forKey: .centerInputSample) ?? d.centerInputSample
        timeEmbeddingType = try c.decodeIfPresent(String.self, forKey: .timeEmbeddingType) ?? d.timeEmbeddingType
        freqShift = try c.decodeIfPresent(Int.self, forKey: .freqShift) ?? d.freqShift
        flipSinToCos = try c.decodeIfPresent(Bool.self, forKey: .flipSinToCos) ?? d.flipSinToCos
        downBlockTypes = try c.decodeIfPresent([String].self, forKey: .downBlockTypes) ?? d.downBlockTypes
        upBlockTypes = try c.decodeIfPresent([String].self, forKey: .upBlockTypes) ?? d.upBlockTypes
        blockOutChannels = try c.decodeIfPresent([Int].self, forKey: .blockOutChannels) ?? d.blockOutChannels
        layersPerBlock = try c.decodeIfPresent(Int.self, forKey: .layersPerBlock) ?? d.layersPerBlock
        midBlockScaleFactor = try c.decodeIfPresent(Double.self, forKey: .midBlockScaleFactor) ?? d.midBlockScaleFactor
        downsamplePadding = try c.decodeIfPresent(Int.self, forKey: .downsamplePadding) ?? d.downsamplePadding
        downsampleType = try c.decodeIfPresent(String.self, forKey: .downsampleType) ?? d.downsampleType
        upsampleType = try c.decodeIfPresent(String.self, forKey: .upsampleType) ?? d.upsampleType
        dropout = try c.decodeIfPresent(Double.self, forKey: .dropout) ?? d.dropout
        actFn = try c.decodeIfPresent(String.self, forKey: .actFn) ?? d.actFn
        // An explicit null means one head (diffusers' fallback); only an absent key takes the default 8.
        attentionHeadDim = c.contains(.attentionHeadDim)
            ? try c.decodeIfPresent(Int.self, forKey: .attentionHeadDim) : d.attentionHeadDim
        normNumGroups = try c.decodeIfPresent(Int.self, forKey: .normNumGroups) ?? d.normNumGroups
        normEps = try c.decodeIfPresent(Double.self, forKey: .normEps) ?? d.normEps
        resnetTimeScaleShift = try c.decodeIfPresent(String.self, forKey: .resnetTimeScaleShift) ?? d.resnetTimeScaleShift
        addAttention = try c.decodeIfPresent(Bool.self, forKey: .addAttention) ?? d.addAttention
        classEmbedType = try c.decodeIfPresent(String.self, forKey: .classEmbedType)
        numClassEmbeds = try c.decodeIfPresent(Int.self, forKey: .numClassEmbeds)
        attnNormNumGroups = try c.decodeIfPresent(Int.self, forKey: .attnNormNumGroups)
        numTrainTimesteps = try c.decodeIfPresent(Int.self, forKey: .numTrainTimesteps)
    }
}
