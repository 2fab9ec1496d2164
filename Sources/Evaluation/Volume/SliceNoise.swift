import Datasets
import Foundation
import Torch

/// The noise of a volume's slices, correlated along the slice axis: each slice's x_T, and each
/// stochastic step's noise, is sqrt(ρ)·shared + sqrt(1 − ρ)·own, with one shared draw for all
/// slices and one own draw per slice. Each slice's noise is still N(0, I); neighbouring slices
/// start alike as ρ grows (ρ = 1: every slice starts from the same noise; ρ = 0: independent).
///
/// Every stream is a pure function of `--seed` and the slice's index along the axis, so a slice's
/// noise does not depend on the batch it is sampled in.
public struct SliceNoise: Sendable {
    /// ρ in [0, 1].
    public let correlation: Double
    public let seeds: SampleSeeds

    public init(correlation: Double, seeds: SampleSeeds) {
        precondition((0...1).contains(correlation), "slice noise correlation \(correlation) is not in [0, 1]")
        self.correlation = correlation
        self.seeds = seeds
    }

    /// x_T of the slices `indices`: [B, C, H, W] for `shape` = [C, H, W], float32 on the CPU.
    public func initial(_ indices: [Int], shape: [Int]) -> Tensor {
        let own = Tensor.cat(indices.map { Tensor.randn([1] + shape, generator: Generator(seed: seeds.noise($0))) })
        let shared = Tensor.randn([1] + shape, generator: Generator(seed: ShuffleOrder.mixed(seeds.seed, 0x5EED_5A0E_D005)))
        return mixed(shared: shared, own: own)
    }

    /// The generator of the shared part of the step noise (a fresh one per sampling run, so every
    /// batch draws the same sequence).
    func sharedSteps() -> Generator { Generator(seed: ShuffleOrder.mixed(seeds.seed, 0x5EED_5A0E_D006)) }

    /// The generator of slice `index`'s own step noise.
    func ownSteps(_ index: Int) -> Generator { Generator(seed: ShuffleOrder.mixed(seeds.seed, UInt64(index), 0x5EED_5A0E_D007)) }

    /// The generator of the noise added to slice `index`'s previous slice (`--previous_slice_noise`).
    func previousSliceNoise(_ index: Int) -> Generator { Generator(seed: ShuffleOrder.mixed(seeds.seed, UInt64(index), 0x5EED_5A0E_D008)) }

    /// sqrt(ρ)·shared (broadcast over the batch) + sqrt(1 − ρ)·own.
    func mixed(shared: Tensor, own: Tensor) -> Tensor {
        shared * correlation.squareRoot() + own * (1 - correlation).squareRoot()
    }
}
