import Torch

/// Dice overlap between predicted and reference label maps, per class, background (label 0) left out.
///
/// Dice of class k = 2 |P_k ∩ R_k| / (|P_k| + |R_k|). A class absent from both maps has no Dice
/// (nil, `null` in JSON): there is nothing to agree or disagree on, so it neither counts as 1 nor
/// pulls a mean down. Means are taken over the classes that have a value; with none, the mean is nil.
public enum DiceScore {
    /// Pixel counts of one class in one image (or summed over a set).
    public struct Counts: Equatable, Sendable {
        public var overlap: Double = 0
        public var predicted: Double = 0
        public var reference: Double = 0

        public init(overlap: Double = 0, predicted: Double = 0, reference: Double = 0) {
            self.overlap = overlap
            self.predicted = predicted
            self.reference = reference
        }

        public var dice: Double? {
            let total = predicted + reference
            return total > 0 ? 2 * overlap / total : nil
        }

        static func + (a: Counts, b: Counts) -> Counts {
            Counts(overlap: a.overlap + b.overlap, predicted: a.predicted + b.predicted, reference: a.reference + b.reference)
        }
    }

    /// Counts of classes 1..K-1 for each image of a batch: `predicted` and `reference` are integer label
    /// maps [B, H, W] (or [H, W]) with labels in 0..K-1. Result [image][class - 1].
    public static func counts(predicted: Tensor, reference: Tensor, classes: Int) -> [[Counts]] {
        precondition(predicted.shape == reference.shape, "DiceScore: label maps \(predicted.shape) and \(reference.shape) differ in shape")
        let batched = predicted.rank == 2 ? 1 : predicted.shape[0]
        func indicators(_ labels: Tensor) -> Tensor {
            labels.to(.int64).reshaped(batched, -1).oneHot(classes: classes).to(.float64)
        }
        let p = indicators(predicted), r = indicators(reference)
        let overlap = (p * r).sum(dims: [1]).scalars(as: Double.self)
        let predictedSizes = p.sum(dims: [1]).scalars(as: Double.self)
        let referenceSizes = r.sum(dims: [1]).scalars(as: Double.self)
        return (0..<batched).map { image in
            (1..<classes).map { k in
                let i = image * classes + k
                return Counts(overlap: overlap[i], predicted: predictedSizes[i], reference: referenceSizes[i])
            }
        }
    }

    /// Dice of classes 1..K-1 between two label maps of one image.
    public static func perClass(predicted: Tensor, reference: Tensor, classes: Int) -> [Double?] {
        counts(predicted: predicted, reference: reference, classes: classes)[0].map(\.dice)
    }

    /// The mean of the values present; nil when there are none.
    public static func mean(_ values: [Double?]) -> Double? {
        let present = values.compactMap { $0 }
        return present.isEmpty ? nil : present.reduce(0, +) / Double(present.count)
    }
}

/// Dice over a set of images: per class from the pixel counts summed over the set (large and small
/// structures weighted by their size), and each image's own mean over its classes.
public struct DiceAccumulator: Sendable {
    public let classes: Int
    /// Set-wide counts of classes 1..K-1.
    public private(set) var totals: [DiceScore.Counts]
    /// Each image's mean Dice over its classes, in the order added.
    public private(set) var imageMeans: [(name: String, dice: Double?)] = []

    public init(classes: Int) {
        self.classes = classes
        totals = Array(repeating: DiceScore.Counts(), count: classes - 1)
    }

    public mutating func add(predicted: Tensor, reference: Tensor, names: [String]) {
        let counts = DiceScore.counts(predicted: predicted, reference: reference, classes: classes)
        for (name, image) in zip(names, counts) {
            totals = zip(totals, image).map(+)
            imageMeans.append((name, DiceScore.mean(image.map(\.dice))))
        }
    }

    /// Dice of classes 1..K-1 over the set.
    public var perClass: [Double?] { totals.map(\.dice) }

    /// Mean over the classes that occur in the set.
    public var mean: Double? { DiceScore.mean(perClass) }

    /// Mean of the per-image means (images with no foreground in either map left out).
    public var meanOfImages: Double? { DiceScore.mean(imageMeans.map(\.dice)) }
}
