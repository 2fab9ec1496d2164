import Foundation
import ModelCard
import Models

/// The memory a training run will need at its peak, estimated before its first step so that a run
/// that cannot fit stops with a message instead of eating the machine.
///
/// Peak = the engine's own start-up + the weights with their gradients and AdamW's two moments
/// (and the EMA's copy) + the activations backward keeps for one batch. The activations are counted
/// from the U-Net's layout: each ResNet block keeps about a dozen feature maps of its width and
/// resolution, attention its projections, the MDFormer its expanded maps and scan states.
/// `activationFactor` scales that count to what libtorch really keeps; it was fitted to peak RSS
/// of real runs (docs/architecture.md §7, Memory).
public struct MemoryEstimate: Sendable, CustomStringConvertible {
    /// libtorch, its kernels, the loader and the process (fitted with `activationFactor`).
    public static let baseBytes = 190_000_000
    /// What libtorch keeps per counted feature element. Fitted to the peak RSS of four training
    /// runs (32 px batch 16 and 128 px batch 8 of a 32,64,64,128 U-Net; 64 px batch 8 of
    /// 64,128,128,256; the full model at 64 px batch 2): the estimates came out 1-3% above them.
    public static let activationFactor = 0.78

    public let parameterBytes: Int
    public let activationBytes: Int

    public var totalBytes: Int { Self.baseBytes + parameterBytes + activationBytes }

    /// `parameters` counts every trainable element; bf16 autocast keeps bf16 copies of the weights
    /// and halves most saved maps.
    public init(config: UNetConfig, mdformer: MDFormerConfig?, parameters: Int, batchSize: Int, ema: Bool, bf16: Bool) {
        // Weights, gradients, AdamW's two moments, and the EMA (plus its swap copy at checkpoints).
        let copies = 4 + (ema ? 2 : 0) + (bf16 ? 1 : 0)
        parameterBytes = parameters * 4 * copies
        let elements = Self.activationElements(config, mdformer: mdformer) * Double(batchSize)
        activationBytes = Int(elements * Self.activationFactor * (bf16 ? 2.5 : 4))
    }

    /// Feature elements one sample keeps for backward, by the U-Net's layout.
    static func activationElements(_ config: UNetConfig, mdformer: MDFormerConfig?) -> Double {
        let size = Double(config.sampleSize ?? 64)
        let channels = config.blockOutChannels.map(Double.init)
        let layers = Double(config.layersPerBlock)
        func pixels(_ level: Int) -> Double { (size / Double(1 << level)) * (size / Double(1 << level)) }
        let resnet = 12.0, attention = 8.0
        var total = Double(config.inChannels) * size * size
        for (level, width) in channels.enumerated() {
            let area = pixels(level)
            let attended = config.downBlockTypes[level].hasPrefix("Attn") ? 1.0 : 0.0
            // Down: `layers` blocks; up: one more, reading the skip connection beside its input.
            total += layers * (resnet + attended * attention) * width * area
            total += (layers + 1) * (resnet * 1.5 + attended * attention) * width * area
        }
        let bottom = channels.count - 1
        let bottleneck = channels.last ?? 0
        let bottomArea = pixels(bottom)
        total += (2 * resnet + (config.addAttention ? attention : 0)) * bottleneck * bottomArea
        if let mdformer {
            let expanded = Double(mdformer.expand) * bottleneck
            // Projections, gate, the depthwise and high-pass maps, and the states of both scans.
            total += (10 * expanded + 4 * expanded * Double(mdformer.dState) / 8) * bottomArea
        }
        return total
    }

    /// Memory this process may still take: the smaller of the machine's available memory and the
    /// cgroup's limit, when either is known.
    public static func available() -> Int? {
        var limits: [Int] = []
        if let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kib = Int(line.split(separator: " ").dropFirst().first ?? "") {
            limits.append(kib * 1024)
        }
        if let text = try? String(contentsOfFile: "/sys/fs/cgroup/memory.max", encoding: .utf8),
           let limit = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            let used = (try? String(contentsOfFile: "/sys/fs/cgroup/memory.current", encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
            limits.append(limit - used)
        }
        return limits.min()
    }

    public var description: String {
        String(format: "about %@ (the model with its gradients and optimizer %@, activations %@)",
               Self.gigabytes(totalBytes), Self.gigabytes(parameterBytes), Self.gigabytes(activationBytes))
    }

    static func gigabytes(_ bytes: Int) -> String { String(format: "%.2f GB", Double(bytes) / 1e9) }
}
