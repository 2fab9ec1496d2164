import ModelCard

extension MDFormerConfig {
    /// Throws for settings of segmadiff.json's `mdformer` that are absurd (a d_state of 10^9 would
    /// allocate its state tensors before any error) or not numbers, naming `file` and the key.
    public func validate(file: String) throws {
        func check(_ key: String, _ value: Int, _ limit: Int) throws {
            guard (1...limit).contains(value) else {
                throw ModelFileError(file: file, "mdformer.\(key) \(value) is outside 1...\(limit); the file is corrupt or not a segmadiff model card")
            }
        }
        try check("d_state", dState, ModelBounds.stateSize)
        try check("expand", expand, ModelBounds.expand)
        try check("kernel_size", kernelSize, ModelBounds.kernelSide)
        try check("highpass_kernel_size", highpassKernelSize, ModelBounds.kernelSide)
        guard highpassSigma.isFinite, highpassSigma > 0 else {
            throw ModelFileError(file: file, "mdformer.highpass_sigma \(highpassSigma) must be a positive number")
        }
        guard dtMin.isFinite, dtMax.isFinite, dtMin > 0, dtMin <= dtMax else {
            throw ModelFileError(file: file, "mdformer.dt_min \(dtMin) and dt_max \(dtMax) must be positive numbers with dt_min <= dt_max")
        }
    }
}

extension ModelCard {
    /// Throws for counts in segmadiff.json that no model could have, naming `file`.
    public func validate(file: String) throws {
        try mdformer?.validate(file: file)
        guard (0...65536).contains(numSegmentationClasses) else {
            throw ModelFileError(file: file, "num_segmentation_classes \(numSegmentationClasses) is outside 0...65536; the file is corrupt")
        }
        guard (1...ModelBounds.ioChannels).contains(numImageChannels) else {
            throw ModelFileError(file: file, "num_img_channels \(numImageChannels) is outside 1...\(ModelBounds.ioChannels); the file is corrupt")
        }
        if let cfgPUncond, !(cfgPUncond.isFinite && cfgPUncond >= 0 && cfgPUncond < 1) {
            throw ModelFileError(file: file, "cfg_p_uncond \(cfgPUncond) must be in [0, 1)")
        }
        if case .window(let low, let high) = normalization, !(low.isFinite && high.isFinite && low < high) {
            throw ModelFileError(file: file, "normalization window \(low),\(high) must be two finite numbers, LOW < HIGH")
        }
    }
}
