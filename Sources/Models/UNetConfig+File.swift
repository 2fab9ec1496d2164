import Foundation
import Torch

extension UNetConfig {
    public static let fileName = "config.json"

    /// Reads and validates a diffusers config.json; errors name the file and the option.
    public static func read(from url: URL) throws -> UNetConfig {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ModelFileError(file: url.path, "cannot be read (\((error as NSError).localizedDescription))")
        }
        let config: UNetConfig
        do {
            config = try JSONDecoder().decode(UNetConfig.self, from: data)
        } catch let error as DecodingError {
            throw ModelFileError(file: url.path, describe(error))
        }
        try config.validate(file: url.path)
        return config
    }

    /// The file diffusers 0.21.4 writes: sorted keys, indent 2, trailing newline.
    public var jsonText: String {
        let strings: ([String]) -> PythonStyleJSON = { .array($0.map { .string($0) }) }
        let optionalInt: (Int?) -> PythonStyleJSON = { $0.map { .int($0) } ?? .null }
        var members: [String: PythonStyleJSON] = [
            "_class_name": .string("UNet2DModel"), "_diffusers_version": .string("0.21.4"),
            "act_fn": .string(actFn), "add_attention": .bool(addAttention),
            "attention_head_dim": optionalInt(attentionHeadDim),
            "block_out_channels": .array(blockOutChannels.map { .int($0) }),
            "center_input_sample": .bool(centerInputSample), "class_embed_type": classEmbedType.map { .string($0) } ?? .null,
            "down_block_types": strings(downBlockTypes), "downsample_padding": .int(downsamplePadding),
            "downsample_type": .string(downsampleType), "dropout": .double(dropout),
            "flip_sin_to_cos": .bool(flipSinToCos), "freq_shift": .int(freqShift), "in_channels": .int(inChannels),
            "layers_per_block": .int(layersPerBlock), "norm_eps": .double(normEps), "norm_num_groups": .int(normNumGroups),
            "num_class_embeds": optionalInt(numClassEmbeds), "out_channels": .int(outChannels),
            "resnet_time_scale_shift": .string(resnetTimeScaleShift), "sample_size": optionalInt(sampleSize),
            "time_embedding_type": .string(timeEmbeddingType), "up_block_types": strings(upBlockTypes),
            "upsample_type": .string(upsampleType),
        ]
        // diffusers writes an integral scale factor as an int (1), any other as a float.
        members["mid_block_scale_factor"] = midBlockScaleFactor == midBlockScaleFactor.rounded() && abs(midBlockScaleFactor) < 1e15
            ? .int(Int(midBlockScaleFactor)) : .double(midBlockScaleFactor)
        if let attnNormNumGroups { members["attn_norm_num_groups"] = .int(attnNormNumGroups) }
        return PythonStyleJSON.object(members).document
    }
}

private func describe(_ error: DecodingError) -> String {
    func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
    }
    switch error {
    case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
        return "\(path(context)) should be \(type) (\(context.debugDescription))"
    case .keyNotFound(let key, _):
        return "missing key \(key.stringValue)"
    case .dataCorrupted(let context):
        return "is not valid JSON (\(context.debugDescription))"
    @unknown default:
        return "cannot be decoded (\(error))"
    }
}
