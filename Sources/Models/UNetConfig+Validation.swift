extension UNetConfig {
    static let downBlockKinds: Set<String> = ["DownBlock2D", "AttnDownBlock2D"]
    static let upBlockKinds: Set<String> = ["UpBlock2D", "AttnUpBlock2D"]

    /// Throws for the first option segmadiff cannot build, naming it and `file`.
    public func validate(file: String) throws {
        func refuse(_ option: String, _ value: String, _ supported: String) -> ModelFileError {
            ModelFileError(file: file, "\(option) \(value) is not supported (segmadiff supports \(supported))")
        }
        guard timeEmbeddingType == "positional" else {
            throw refuse("time_embedding_type", quoted(timeEmbeddingType), "\"positional\"")
        }
        guard resnetTimeScaleShift == "default" else {
            throw refuse("resnet_time_scale_shift", quoted(resnetTimeScaleShift), "\"default\"")
        }
        if let classEmbedType { throw refuse("class_embed_type", quoted(classEmbedType), "null") }
        if let numClassEmbeds { throw refuse("num_class_embeds", "\(numClassEmbeds)", "null") }
        if let numTrainTimesteps { throw refuse("num_train_timesteps", "\(numTrainTimesteps)", "null") }
        guard actFn == "silu" else { throw refuse("act_fn", quoted(actFn), "\"silu\"") }
        guard downsampleType == "conv" else { throw refuse("downsample_type", quoted(downsampleType), "\"conv\"") }
        guard upsampleType == "conv" else { throw refuse("upsample_type", quoted(upsampleType), "\"conv\"") }
        // Padding 0 means diffusers' asymmetric right/bottom pad, which no checkpoint here uses.
        guard downsamplePadding == 1 else { throw refuse("downsample_padding", "\(downsamplePadding)", "1") }
        guard dropout == 0 else { throw refuse("dropout", "\(dropout)", "0.0") }
        if let attnNormNumGroups, attnNormNumGroups != normNumGroups {
            throw refuse("attn_norm_num_groups", "\(attnNormNumGroups)", "null or norm_num_groups")
        }
        for kind in downBlockTypes where !Self.downBlockKinds.contains(kind) {
            throw refuse("down_block_types entry", quoted(kind), "DownBlock2D, AttnDownBlock2D")
        }
        for kind in upBlockTypes where !Self.upBlockKinds.contains(kind) {
            throw refuse("up_block_types entry", quoted(kind), "UpBlock2D, AttnUpBlock2D")
        }
        try validateShapes(file: file)
    }

    private func validateShapes(file: String) throws {
        func invalid(_ message: String) -> ModelFileError { ModelFileError(file: file, message) }
        guard !blockOutChannels.isEmpty else { throw invalid("block_out_channels is empty") }
        guard downBlockTypes.count == blockOutChannels.count, upBlockTypes.count == blockOutChannels.count else {
            throw invalid("down_block_types (\(downBlockTypes.count)), up_block_types (\(upBlockTypes.count)) and "
                          + "block_out_channels (\(blockOutChannels.count)) must have the same length")
        }
        guard inChannels > 0, outChannels > 0, layersPerBlock > 0 else {
            throw invalid("in_channels, out_channels and layers_per_block must be positive")
        }
        guard normNumGroups > 0, normEps > 0 else { throw invalid("norm_num_groups and norm_eps must be positive") }
        for channels in blockOutChannels where channels <= 0 || channels % normNumGroups != 0 {
            throw invalid("block_out_channels entry \(channels) is not a multiple of norm_num_groups \(normNumGroups)")
        }
        if let attentionHeadDim {
            guard attentionHeadDim > 0 else { throw invalid("attention_head_dim must be positive or null") }
            for channels in blockOutChannels where channels % attentionHeadDim != 0 {
                throw invalid("block_out_channels entry \(channels) is not a multiple of attention_head_dim \(attentionHeadDim)")
            }
        }
        guard midBlockScaleFactor > 0, midBlockScaleFactor.isFinite else { throw invalid("mid_block_scale_factor must be a positive number") }
        guard normEps.isFinite else { throw invalid("norm_eps must be a finite number") }
        try validateSizes(file: file)
    }

    /// Sanity bounds (ModelBounds), checked before any layer is built: a config.json asking for a
    /// model thousands of times larger than any trained here is corrupt or hostile.
    private func validateSizes(file: String) throws {
        func tooLarge(_ key: String, _ value: Int, _ limit: Int) -> ModelFileError {
            ModelFileError(file: file, "\(key) \(value) is larger than segmadiff builds (at most \(limit)); the file is corrupt or not a model segmadiff can use")
        }
        if blockOutChannels.count > ModelBounds.levels {
            throw ModelFileError(file: file, "block_out_channels has \(blockOutChannels.count) levels, more than segmadiff builds (at most \(ModelBounds.levels)); the file is corrupt or not a model segmadiff can use")
        }
        if let widest = blockOutChannels.max(), widest > ModelBounds.channels { throw tooLarge("block_out_channels entry", widest, ModelBounds.channels) }
        if layersPerBlock > ModelBounds.layersPerBlock { throw tooLarge("layers_per_block", layersPerBlock, ModelBounds.layersPerBlock) }
        if inChannels > ModelBounds.ioChannels { throw tooLarge("in_channels", inChannels, ModelBounds.ioChannels) }
        if outChannels > ModelBounds.ioChannels { throw tooLarge("out_channels", outChannels, ModelBounds.ioChannels) }
        if let sampleSize {
            guard sampleSize > 0 else { throw ModelFileError(file: file, "sample_size \(sampleSize) must be positive (or null)") }
            if sampleSize > ModelBounds.imageSide { throw tooLarge("sample_size", sampleSize, ModelBounds.imageSide) }
        }
    }

    /// Heads of an attention block over `channels` channels.
    func attentionHeads(channels: Int) -> Int {
        attentionHeadDim.map { channels / $0 } ?? 1
    }
}

private func quoted(_ text: String) -> String { "\"\(text)\"" }
