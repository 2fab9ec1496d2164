import Foundation

/// The mean of a few per-seed values with its 95% confidence interval from Student's t
/// distribution: mean ± t(0.975, n - 1) · s / √n. With 3 seeds t is 4.30, so the interval is wide;
/// that is the honest width of what 3 seeds can show.
public struct TInterval: Equatable, Sendable {
    /// The per-seed values, their mean and sample standard deviation.
    public let spread: SeedSpread

    public init(_ values: [Double?]) { spread = SeedSpread(values) }

    public var values: [Double] { spread.values }
    public var count: Int { spread.count }
    public var mean: Double? { spread.mean }

    /// Half the interval's width; nil with fewer than two values (one value has no spread).
    public var halfWidth: Double? {
        spread.standardDeviation.map { Self.tQuantile975(degreesOfFreedom: count - 1) * $0 / Double(count).squareRoot() }
    }

    public var low: Double? { mean.flatMap { m in halfWidth.map { m - $0 } } }
    public var high: Double? { mean.flatMap { m in halfWidth.map { m + $0 } } }

    /// "0.853 ± 0.012" (the 95% half-width), "0.853 (1 seed)" or "n/a".
    public func formatted(_ format: String = "%.3f") -> String {
        guard let mean else { return "n/a" }
        guard let halfWidth else { return String(format: format, mean) + " (1 seed)" }
        return String(format: format, mean) + " ± " + String(format: format, halfWidth)
    }

    public var json: [String: Any] {
        func value(_ x: Double?) -> Any { x.map { $0 as Any } ?? NSNull() }
        return ["mean": value(mean), "ci95_half_width": value(halfWidth), "ci95_low": value(low), "ci95_high": value(high),
                "n": count, "values": values]
    }

    /// The 97.5% quantile of Student's t: tabulated to 30 degrees of freedom, beyond that the
    /// Cornish-Fisher expansion around the normal quantile (error below 0.001).
    public static func tQuantile975(degreesOfFreedom df: Int) -> Double {
        precondition(df >= 1, "t quantile: at least one degree of freedom")
        let table = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                     2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                     2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042]
        if df <= table.count { return table[df - 1] }
        let z = 1.959964, n = Double(df)
        let first = (pow(z, 3) + z) / (4 * n)
        let second = (5 * pow(z, 5) + 16 * pow(z, 3) + 3 * z) / (96 * n * n)
        return z + first + second
    }
}
