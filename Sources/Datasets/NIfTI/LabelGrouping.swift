import Torch

/// Many atlas labels -> a few classes: `"1-20:1,21-40:2,41-116:3"` (ranges or single labels, each
/// mapped to a class). Labels the map does not name become background (0).
public struct LabelGrouping: Equatable, Sendable {
    public var ranges: [(ClosedRange<Int>, Int)]

    public init(_ ranges: [(ClosedRange<Int>, Int)]) { self.ranges = ranges }

    public static func == (a: LabelGrouping, b: LabelGrouping) -> Bool {
        a.ranges.map(\.0) == b.ranges.map(\.0) && a.ranges.map(\.1) == b.ranges.map(\.1)
    }

    /// Parses the `--label_map` syntax; the error names the bad entry.
    public static func parse(_ text: String) throws -> LabelGrouping {
        var ranges: [(ClosedRange<Int>, Int)] = []
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: ":")
            let bounds = parts.first.map { $0.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) } } ?? []
            guard parts.count == 2, let target = Int(parts[1].trimmingCharacters(in: .whitespaces)), target >= 0,
                  (1...2).contains(bounds.count), let low = bounds.first ?? nil, let high = bounds.last ?? nil,
                  low >= 0, low <= high
            else {
                throw DataError("--label_map entry \"\(entry)\" is not LABEL:CLASS or LOW-HIGH:CLASS (for example 1-20:1,21-40:2)")
            }
            // The lookup table of `apply` has one entry per label up to the highest named, and a
            // class must fit a 16-bit mask: bounded here, at parse time, before any table exists.
            guard high <= maximumLabel, target <= 65535 else {
                throw DataError("--label_map entry \"\(entry)\" names label \(high) or class \(target); labels go up to \(maximumLabel) and classes up to 65535")
            }
            ranges.append((low...high, target))
        }
        guard !ranges.isEmpty else { throw DataError("--label_map is empty; give entries such as 1-20:1,21-40:2") }
        return LabelGrouping(ranges)
    }

    /// The highest label a map may name (2^24 - 1; its lookup table is then at most 128 MiB).
    public static let maximumLabel = (1 << 24) - 1

    /// Number of classes the map produces, background included.
    public var classCount: Int { (ranges.map(\.1).max() ?? 0) + 1 }

    /// `labels` (any integer tensor, values >= 0) with every label replaced by its class.
    public func apply(_ labels: Tensor) -> Tensor {
        // Sized by the map, not by the data: a volume's labels past the highest named one all
        // become background through the table's last entry, so a label of 2^40 costs nothing.
        let named = ranges.map(\.0.upperBound).max() ?? 0
        var table = [Int64](repeating: 0, count: named + 2)
        for (range, target) in ranges { for label in range { table[label] = Int64(target) } }
        let lookup = Tensor(table)
        let shape = labels.shape
        let index = labels.reshaped([-1]).to(.int64).clamped(max: Double(named + 1)).to(.int64)
        return lookup.indexSelect(dim: 0, index: index).reshaped(shape)
    }
}
