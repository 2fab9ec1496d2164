import Datasets

/// The random draws of one edit of one sample: a SplitMix64 stream seeded from the sample's edit
/// seed and the edit's position in the chain, so that the seed recorded in manifest.json and the
/// edits as written re-create the mask exactly, and adding an edit at the end of a chain leaves the
/// draws of the edits before it unchanged.
struct EditRandom {
    private var generator: SplitMix64

    init(sampleSeed: UInt64, position: Int) {
        generator = SplitMix64(seed: ShuffleOrder.mixed(sampleSeed, UInt64(position), 0xED17_0000_5EED))
    }

    /// Uniform in [0, 1), from the top 53 bits.
    mutating func unit() -> Double { Double(generator.next() >> 11) * 0x1p-53 }

    mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * unit() }

    /// Uniform over the integers of `range`.
    mutating func integer(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + min(Int(unit() * Double(range.count)), range.count - 1)
    }

    mutating func chance(_ probability: Double) -> Bool { unit() < probability }
}

extension SampleSeeds {
    /// Image `index`'s mask edits (`segmadiff synthesize --edit`).
    public func edits(_ index: Int) -> UInt64 { ShuffleOrder.mixed(seed, UInt64(index), 0xED17_5EED_0004) }
}
