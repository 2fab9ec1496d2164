import Foundation

/// One metric measured under several seeds: its mean and the spread a reader needs to judge a
/// difference (the sample standard deviation, n - 1 in the denominator). One seed's number alone
/// says nothing about how much it would move under another seed.
public struct SeedSpread: Equatable, Sendable {
    /// The values that were measured (seeds where the metric had no value are left out).
    public let values: [Double]

    public init(_ values: [Double?]) { self.values = values.compactMap { $0 } }

    public var count: Int { values.count }

    public var mean: Double? { values.isEmpty ? nil : values.reduce(0, +) / Double(values.count) }

    /// Sample standard deviation; nil with fewer than two values.
    public var standardDeviation: Double? {
        guard let mean, values.count >= 2 else { return nil }
        let squares = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        return (squares / Double(values.count - 1)).squareRoot()
    }

    /// "0.853 ± 0.012 (3 seeds)", "0.853 (1 seed)" or "n/a".
    public func formatted(_ format: String = "%.3f") -> String {
        guard let mean else { return "n/a" }
        let seeds = "(\(count) seed\(count == 1 ? "" : "s"))"
        guard let deviation = standardDeviation else { return String(format: format, mean) + " " + seeds }
        return String(format: format, mean) + " ± " + String(format: format, deviation) + " " + seeds
    }

    /// {"mean", "std", "n", "values"}, absent values as null.
    public var json: [String: Any] {
        ["mean": mean.map { $0 as Any } ?? NSNull(), "std": standardDeviation.map { $0 as Any } ?? NSNull(),
         "n": count, "values": values]
    }
}
