/// The sample order of each epoch, a pure function of (seed, epoch): a restored loader needs no
/// saved random state beyond its seed, and background threads can work ahead without sharing one.
public enum ShuffleOrder {
    public static func permutation(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var order = Array(0..<count)
        var random = SplitMix64(seed: mixed(seed, UInt64(epoch), 0x5EED_0F_0DE5))
        // Fisher-Yates, drawing without modulo bias.
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(random.next(below: UInt64(i + 1)))
            order.swapAt(i, j)
        }
        return order
    }

    /// One 64-bit value from several, well mixed (seeds for per-epoch and per-batch generators).
    public static func mixed(_ values: UInt64...) -> UInt64 {
        var random = SplitMix64(seed: 0x9E37_79B9_7F4A_7C15)
        var state: UInt64 = 0
        for value in values {
            random = SplitMix64(seed: state ^ value &* 0xBF58_476D_1CE4_E5B9)
            state = random.next()
        }
        return state
    }
}

/// Steele, Lea and Flood's SplitMix64: tiny, fast, and good enough to shuffle with.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<bound (rejection sampling).
    mutating func next(below bound: UInt64) -> UInt64 {
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let value = next()
            if value < limit { return value % bound }
        }
    }
}
