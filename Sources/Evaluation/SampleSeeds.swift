import Datasets

/// The random streams of an evaluation run, each a pure function of `--seed` and an index, so that
/// an image does not depend on which others were sampled with it, or on a resumed run skipping some.
public struct SampleSeeds: Sendable {
    public let seed: UInt64

    public init(_ seed: UInt64) { self.seed = seed }

    /// Image `index`'s initial noise x_T.
    public func noise(_ index: Int) -> UInt64 { ShuffleOrder.mixed(seed, UInt64(index), 0x0015_E5EE_D001) }

    /// Image `index`'s mask ablation, drawn once for the whole run (docs/python-reference.md §9 #14).
    public func ablation(_ index: Int) -> UInt64 { ShuffleOrder.mixed(seed, UInt64(index), 0xAB1A_7E5E_ED02) }

    /// The noise of the stochastic (DDPM) steps of batch `index`, a fixed window of images.
    public func steps(batch index: Int) -> UInt64 { ShuffleOrder.mixed(seed, UInt64(index), 0x57E9_05EE_D003) }
}
