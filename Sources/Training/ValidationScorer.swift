import Torch

/// What `OUTPUT/best` is chosen by.
public enum ValidationMetric: String, CaseIterable, Sendable {
    /// The diffusion loss over the val split (`ValidationLoss`); lower is better.
    case loss = "val_loss"
    /// The Dice of images sampled on val masks, read back by a segmenter; higher is better.
    case dice = "val_dice"

    public var higherIsBetter: Bool { self == .dice }

    /// Whether `value` beats `previous` in this metric's direction (a first value always does).
    public func improves(_ value: Double, on previous: Double?) -> Bool {
        guard value.isFinite else { return false }
        guard let previous else { return true }
        return higherIsBetter ? value > previous : value < previous
    }
}

/// `--val_segmenter`: scores images sampled on the val masks. The segmenter lives in Evaluation,
/// which stands above Training, so the command builds the scorer and hands it in. Unchecked
/// Sendable like the options that carry it: only the training loop's thread calls it.
public struct ValidationScorer: @unchecked Sendable {
    /// Val samples drawn per validation: the first ones of the val split, the same every time.
    public var sampleCount: Int
    /// The mean Dice of `images` ([B, C, S, S] in [-1, 1]) against the label maps their masks
    /// encode (`Batch.labels`, [B, 1 or T, S, S] int64); nil when neither has any foreground.
    public var dice: (_ images: Tensor, _ labels: Tensor) throws -> Double?

    public init(sampleCount: Int, dice: @escaping (_ images: Tensor, _ labels: Tensor) throws -> Double?) {
        self.sampleCount = sampleCount
        self.dice = dice
    }
}
