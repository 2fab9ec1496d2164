import Datasets

/// The benchmark's random choices, each a pure function of the seed, so a rerun (or a resumed run)
/// trains every arm on exactly the same pairs.
public enum SeededDraws {
    /// The order in which real training pairs enter the low-data subsets: the 10% subset is the
    /// first tenth of it and lies inside the 25% subset of the same seed.
    public static func realOrder(count: Int, seed: UInt64) -> [Int] {
        ShuffleOrder.permutation(count: count, seed: ShuffleOrder.mixed(seed, 0x10DA7A), epoch: 0)
    }

    /// The order in which synthetic pairs are added to the mixed arms (0.5x takes a prefix of 1x's).
    public static func syntheticOrder(count: Int, seed: UInt64) -> [Int] {
        ShuffleOrder.permutation(count: count, seed: ShuffleOrder.mixed(seed, 0x5F17E7), epoch: 0)
    }

    /// A random derangement of 0..<count: `result[i]` is the pair whose mask image i gets, and
    /// `result[i] != i` for every i. Sattolo's algorithm draws a single cycle through all pairs, so
    /// no pair keeps its own mask. Needs at least two pairs.
    ///
    /// With `groups` (a group per pair: its source mask), no pair gets the mask of a pair of its own
    /// group either where that can be arranged: two pairs made from one source mask may carry the
    /// same mask, and swapping them would be no control at all. Each clash is resolved by swapping
    /// donors with another pair for which neither side then clashes.
    public static func derangement(count: Int, seed: UInt64, groups: [Int]? = nil) -> [Int] {
        precondition(count >= 2, "a derangement needs at least two elements")
        var donor = Array(0..<count)
        var random = SplitMix64(seed: ShuffleOrder.mixed(seed, 0xDE7A46E))
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = uniform(below: i, &random)       // j < i: never i itself
            donor.swapAt(i, j)
        }
        guard let groups else { return donor }
        precondition(groups.count == count, "one group per element")
        for i in 0..<count where groups[donor[i]] == groups[i] {
            let start = uniform(below: count, &random)
            for offset in 0..<count {
                let j = (start + offset) % count
                guard j != i, donor[j] != i, donor[i] != j,
                      groups[donor[j]] != groups[i], groups[donor[i]] != groups[j] else { continue }
                donor.swapAt(i, j)
                break
            }
        }
        return donor
    }

    /// Uniform in 0..<bound, without modulo bias.
    private static func uniform(below bound: Int, _ random: inout SplitMix64) -> Int {
        let bound = UInt64(bound)
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let value = random.next()
            if value < limit { return Int(value % bound) }
        }
    }
}
