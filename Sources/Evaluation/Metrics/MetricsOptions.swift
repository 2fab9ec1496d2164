import Foundation
import ModelCard
import Torch

/// What `segmadiff metrics` compares.
public struct MetricsOptions: Sendable {
    /// A `train-segmenter` output: OUT/segmenter (or OUT).
    public var segmenter: String
    /// Generated images, directly in this folder (eval_many's `samples_many_N/`).
    public var generated: String
    /// The conditioning masks, same names as the images; default `generated`/masks.
    public var masks: String?
    /// Real images for the distribution distances (for example IMG/test); nil skips them.
    public var real: String?
    /// Where the JSON goes; default `generated`/metrics.json.
    public var json: String?
    /// How generated images are scaled to [-1, 1]; nil: the normalisation the segmenter recorded, as
    /// for the real images. That fits what segmadiff writes: 8-bit PNGs over the model's output range
    /// for a model trained on 8-bit data (`none`), values in the input's units after a window.
    public var generatedNormalization: IntensityNormalization?
    public var batchSize: Int
    public var device: Device

    public init(segmenter: String, generated: String, masks: String? = nil, real: String? = nil, json: String? = nil,
                generatedNormalization: IntensityNormalization? = nil, batchSize: Int = 16, device: Device = .cpu) {
        self.segmenter = segmenter
        self.generated = generated
        self.masks = masks
        self.real = real
        self.json = json
        self.generatedNormalization = generatedNormalization
        self.batchSize = batchSize
        self.device = device
    }

    var masksFolder: String { masks ?? (generated as NSString).appendingPathComponent("masks") }
    var jsonPath: String { json ?? (generated as NSString).appendingPathComponent("metrics.json") }
}
