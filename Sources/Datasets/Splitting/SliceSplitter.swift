/// Assigns the slices of a set of volumes to train, val and test (or to an unused gap), from a seed.
/// Pure and deterministic: the same volumes, rule, gap, fractions and seed give the same assignment.
/// Every importer (NIfTI, DICOM, ...) calls it with the slices it keeps, in slice order:
///
///     let plan = try SliceSplitter.assign(volumes: [("ch2.nii.gz", 150)], rule: .auto, fractions: .standard, seed: 0)
///     plan.rule              // .slab: one volume cannot give three splits a volume each
///     plan.roles[0][42]      // .train, .val, .test or .unused
///
/// Positions count kept slices, so a gap of g positions leaves at least g slices between splits.
public enum SliceSplitter {
    /// The outcome: the rule that was applied (`auto` resolved) and one role per kept slice.
    public struct Assignment: Equatable, Sendable {
        public var rule: SplitRule
        public var gap: Int
        /// roles[volume][position], in the order the volumes and slices were given.
        public var roles: [[SliceRole]]

        public func count(_ role: SliceRole) -> Int {
            roles.reduce(0) { total, volume in total + volume.filter { $0 == role }.count }
        }

        /// One line saying which rule was used and what it guarantees.
        public var explanation: String { rule.explanation(gap: gap, volumeCount: roles.count) }
    }

    public static func assign(volumes: [(id: String, sliceCount: Int)], rule: SplitRule, gap: Int = SplitRule.defaultGap,
                              fractions: SplitFractions, seed: UInt64) throws -> Assignment {
        if let problem = fractions.problem { throw DataError(problem) }
        guard gap >= 0 else { throw DataError("--gap \(gap) must be 0 or more slices") }
        let resolved = resolve(rule, volumeCount: volumes.count, fractions: fractions)
        switch resolved {
        case .volume:
            try checkEnoughVolumes(volumes.count, fractions)
            let splits = unitSplits(units: volumes.count, fractions: fractions, seed: seed)
            let roles = volumes.indices.map { [SliceRole](repeating: SliceRole(splits[$0]), count: volumes[$0].sliceCount) }
            return Assignment(rule: .volume, gap: 0, roles: roles)
        case .slice:
            let total = volumes.reduce(0) { $0 + $1.sliceCount }
            var splits = unitSplits(units: total, fractions: fractions, seed: seed)[...]
            let roles = volumes.map { volume in (0..<volume.sliceCount).map { _ in SliceRole(splits.removeFirst()) } }
            return Assignment(rule: .slice, gap: 0, roles: roles)
        case .slab, .auto:
            let roles = try volumes.enumerated().map { index, volume in
                try SlabLayout.roles(count: volume.sliceCount, gap: gap, fractions: fractions,
                                     seed: ShuffleOrder.mixed(seed, UInt64(index), 0x51AB), volume: volume.id)
            }
            return Assignment(rule: .slab, gap: gap, roles: roles)
        }
    }

    /// `auto` becomes `volume` when every split asked for can have a volume of its own, else `slab`.
    public static func resolve(_ rule: SplitRule, volumeCount: Int, fractions: SplitFractions) -> SplitRule {
        guard rule == .auto else { return rule }
        return volumeCount >= fractions.asked.count ? .volume : .slab
    }

    private static func checkEnoughVolumes(_ count: Int, _ fractions: SplitFractions) throws {
        let needed = fractions.asked.count
        guard count < needed else { return }
        let names = fractions.asked.map(\.rawValue).joined(separator: ", ")
        throw DataError("--split_by volume needs a volume for each of \(names), but \(count) \(count == 1 ? "volume was" : "volumes were") given; use --split_by slab to cut each volume into separated slabs")
    }

    /// Interchangeable units (volumes, or slices under `slice`) dealt out in a seeded order.
    private static func unitSplits(units: Int, fractions: SplitFractions, seed: UInt64) -> [Split] {
        let counts = fractions.counts(units: units)
        let trainCount = counts[.train]!, valCount = counts[.val]!
        let order = ShuffleOrder.permutation(count: units, seed: seed, epoch: 0)
        var splits = [Split](repeating: .train, count: units)
        for (rank, unit) in order.enumerated() {
            splits[unit] = rank < trainCount ? .train : (rank < trainCount + valCount ? .val : .test)
        }
        return splits
    }
}
