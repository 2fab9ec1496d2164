import Torch

/// The mask states of the mask-removal figure. Segmadiff's schedule is explicit and not cumulative:
/// row 0 is the full mask, row k (k = 1..K-1) is the full mask with only class k set to background.
/// (The seed removed the classes present cumulatively and in place, docs/python-reference.md §8.2 and 9 #31.)
public struct MaskRemovalSchedule: Sendable {
    public struct Row: Sendable, Equatable {
        /// The class set to background; nil for the full mask.
        public let removedClass: Int?
        public let label: String
    }

    public static let description = "rows: the full mask, then the full mask with one class removed (set to background; not cumulative); the same noise in every row"

    public let classNames: [String]
    public let rows: [Row]

    /// `names`: the card's class names, used when they cover all K classes.
    public init(classes: Int, names: [String]?) {
        let named = names.map { $0.count >= classes } ?? false
        classNames = (0..<classes).map { named ? names![$0] : ($0 == 0 ? "background" : "class \($0)") }
        rows = [Row(removedClass: nil, label: "full mask")]
            + (1..<max(classes, 1)).map { [classNames] k in Row(removedClass: k, label: "without \(classNames[k])") }
    }

    /// `labels` (integer label maps, any shape) in the state of `row`.
    public func apply(_ row: Row, to labels: Tensor) -> Tensor {
        guard let removed = row.removedClass else { return labels }
        return Tensor.where(labels.eq(Double(removed)), Tensor.zeros(like: labels), labels)
    }
}
