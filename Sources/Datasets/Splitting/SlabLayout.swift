/// The slab split of one volume's kept slices (positions 0..<count, in slice order).
///
/// The volume is laid out as base chunks (train, or the first split asked for) with held-out slabs
/// (val, test) between them, and `gap` unused slices on both sides of every held-out slab:
///
///     train | gap | test | gap | train | gap | val | gap | train
///
/// Held-out slabs sit between base chunks, spread along the axis, rather than at the ends of the
/// volume (the top of a brain or its cerebellum are not typical slices). The seed orders the
/// held-out slabs and sizes the base chunks, so another seed moves the slabs. A held-out split large
/// enough gets up to four slabs, each at least twice the gap long, so that it samples several levels
/// of the anatomy without losing most of the volume to gaps.
enum SlabLayout {
    static let maximumSlabsPerSplit = 4

    static func roles(count: Int, gap: Int, fractions: SplitFractions, seed: UInt64, volume: String) throws -> [SliceRole] {
        let asked = fractions.asked
        guard count > 0 else { return [] }
        guard asked.count > 1 else { return [SliceRole](repeating: SliceRole(asked[0]), count: count) }
        let base = asked.contains(.train) ? Split.train : asked[0]
        let heldOut = asked.filter { $0 != base }

        // Slabs per held-out split: as many as fit at twice the gap each (at least 4 slices), 1 to 4.
        let shortest = max(2 * gap, 4)
        var slabCounts = heldOut.map { split in
            min(maximumSlabsPerSplit, max(1, Int(Double(count) * fractions.fraction(of: split)) / shortest))
        }
        var usable = count - 2 * gap * slabCounts.reduce(0, +)
        if usable < slabCounts.reduce(0, +) + 1 {
            slabCounts = heldOut.map { _ in 1 }
            usable = count - 2 * gap * heldOut.count
        }
        let needed = 2 * gap * heldOut.count + heldOut.count + 1
        guard usable >= heldOut.count + 1 else {
            throw DataError("\(volume) has \(count) slices to split, too few for a slab split with a \(gap)-slice gap (at least \(needed) needed); lower --gap, import more slices, or add volumes")
        }

        // Slices per held-out split (each slab at least one), the rest to the base chunks.
        var totals = zip(heldOut, slabCounts).map { split, slabs in
            max(slabs, Int((Double(usable) * fractions.fraction(of: split)).rounded()))
        }
        while usable - totals.reduce(0, +) < 1, let widest = totals.indices.filter({ totals[$0] > slabCounts[$0] }).max(by: { totals[$0] < totals[$1] }) {
            totals[widest] -= 1
        }
        var slabs: [(split: Split, size: Int)] = []
        for (index, split) in heldOut.enumerated() {
            slabs += evenParts(totals[index], slabCounts[index]).map { (split: split, size: $0) }
        }
        let order = ShuffleOrder.permutation(count: slabs.count, seed: seed, epoch: 0)
        slabs = order.map { slabs[$0] }
        var random = SplitMix64(seed: ShuffleOrder.mixed(seed, 0xC4_07))
        // Base chunks of comparable size (weights 0.5 to 1.5), so the slabs spread along the axis.
        let weights = (0...slabs.count).map { _ in 0.5 + Double(random.next() >> 11) / Double(1 << 53) }
        let chunks = proportionalParts(usable - totals.reduce(0, +), weights)

        var roles: [SliceRole] = []
        for (index, chunk) in chunks.enumerated() {
            roles += [SliceRole](repeating: SliceRole(base), count: chunk)
            guard index < slabs.count else { break }
            roles += [SliceRole](repeating: .unused, count: gap)
            roles += [SliceRole](repeating: SliceRole(slabs[index].split), count: slabs[index].size)
            roles += [SliceRole](repeating: .unused, count: gap)
        }
        precondition(roles.count == count, "SlabLayout: laid out \(roles.count) of \(count) slices")
        return roles
    }

    /// `total` split into `parts` sizes differing by at most one.
    static func evenParts(_ total: Int, _ parts: Int) -> [Int] {
        (0..<parts).map { total / parts + ($0 < total % parts ? 1 : 0) }
    }

    /// `total` split in proportion to `weights` (largest remainders get the leftovers).
    static func proportionalParts(_ total: Int, _ weights: [Double]) -> [Int] {
        let sum = weights.reduce(0, +)
        let exact = weights.map { Double(total) * $0 / sum }
        var parts = exact.map { Int($0) }
        let byRemainder = exact.indices.sorted { exact[$0] - Double(parts[$0]) > exact[$1] - Double(parts[$1]) }
        for index in byRemainder.prefix(total - parts.reduce(0, +)) { parts[index] += 1 }
        return parts
    }
}
