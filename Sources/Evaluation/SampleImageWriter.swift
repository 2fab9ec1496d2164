import Datasets
import Diffusion
import ModelCard
import Torch

/// How eval_many stores a sampled image (docs/python-reference.md §9 #15, #30): an 8-bit PNG for 1 or 3 channels, else an
/// NPY of float32 in [0, 1]; for a model trained on windowed data (CT in HU), an NPY in the window's
/// own units. Either way, reading the file back with the model's normalisation gives the sample.
public struct SampleImageWriter: Sendable {
    public enum Format: String, Sendable {
        case png, npy
    }

    public let format: Format
    /// Maps [0, 1] back to the input's units, when the card records a window.
    public let window: (low: Double, high: Double)?

    public init(channels: Int, normalization: IntensityNormalization) {
        if case .window(let low, let high) = normalization {
            window = (low, high)
            format = .npy
        } else {
            window = nil
            format = channels == 1 || channels == 3 ? .png : .npy
        }
    }

    public var fileExtension: String { format.rawValue }

    /// For the manifest: what the stored numbers mean.
    public var units: String {
        if let window { return "float32 in the input's units (window \(window.low) to \(window.high))" }
        return format == .png ? "8-bit, round(255 * clamp(x/2 + 0.5, 0, 1))" : "float32 in [0, 1] (clamp(x/2 + 0.5, 0, 1))"
    }

    /// What an NPY of `image` (in the model's [-1, 1] range, any shape) holds: float32 in [0, 1], or
    /// in the window's units.
    public func npyValues(_ image: Tensor) -> Tensor {
        let unit = ImageOutput.unitRange(image.to(.float32))
        guard let window else { return unit }
        return unit * (window.high - window.low) + window.low
    }

    /// Writes one image [C, S, S] in the model's [-1, 1] range, atomically.
    public func write(_ image: Tensor, to path: String) throws {
        switch format {
        case .png:
            try ImageFile.writePNG(ImageOutput.eightBit(image.unsqueezed(0)).squeezed(0), to: path)
        case .npy:
            try ImageFile.writeNPY(npyValues(image).contiguous(), to: path)
        }
    }

    /// Writes integer labels [1, S, S] as a grey PNG (8-bit, or 16-bit above label 255).
    public static func writeLabels(_ labels: Tensor, to path: String) throws {
        let wide = labels.max().item > 255
        try ImageFile.writePNG(labels.to(wide ? .uint16 : .uint8), to: path)
    }
}
