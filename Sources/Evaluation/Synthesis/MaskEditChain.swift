/// The `--edit`s of a synthesis run, applied in order to each sample's mask with the sample's own
/// edit seed. A sample whose edits leave one of its classes empty (moved, deformed or shrunk out of
/// the image) is dropped, not written: an image conditioned on it would lack that structure while
/// the data set's other samples have it. Classes taken out on purpose (`remove`) do not count.
public struct MaskEditChain: Sendable {
    public let edits: [MaskEdit]

    public init(_ edits: [MaskEdit]) { self.edits = edits }

    public struct Result {
        /// The edited maps, one per seg type.
        public let maps: [LabelMap]
        /// For manifest.json: each edit's spec, whether it was applied, and what it drew.
        public let records: [[String: Any]]
        /// Why the sample is dropped; nil when it is kept.
        public let dropReason: String?
    }

    /// The specs as recorded in manifest.json.
    public var specs: [String] { edits.map(\.spec) }

    public func apply(to maps: [LabelMap], seed: UInt64) -> Result {
        let present = maps.map(\.classes)
        var current = maps
        var removed = Set<Int64>()
        var records: [[String: Any]] = []
        for (position, edit) in edits.enumerated() {
            var random = EditRandom(sampleSeed: seed, position: position)
            // Drawn even when p = 1, so that the edit's other draws do not depend on p.
            let applied = random.chance(edit.probability)
            var record: [String: Any] = ["edit": edit.spec, "applied": applied]
            guard applied else {
                records.append(record)
                continue
            }
            let outcome = edit.apply(current, random: &random)
            for (key, value) in outcome.drawn { record[key] = value }
            records.append(record)
            if let problem = outcome.problem { return Result(maps: current, records: records, dropReason: "\(problem) (\(edit.spec))") }
            current = outcome.maps
            if case .remove(let label) = edit.operation { removed.insert(Int64(label)) }
            for (before, after) in zip(present, current) {
                if let lost = before.subtracting(after.classes).subtracting(removed).min() {
                    return Result(maps: current, records: records, dropReason: "class \(lost) is empty after \(edit.spec)")
                }
            }
        }
        return Result(maps: current, records: records, dropReason: nil)
    }
}
