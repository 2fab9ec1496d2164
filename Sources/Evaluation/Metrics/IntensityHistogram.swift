import Foundation
import Torch

/// The distribution of pixel intensities of a set of images, in 256 bins over [-1, 1] (the range
/// images have after preprocessing; one bin per 8-bit grey level). A check of realism that needs no
/// network at all: a generator whose tissue is too bright or too flat shows up here.
public struct IntensityHistogram: Sendable {
    public static let binCount = 256
    public private(set) var counts = [Double](repeating: 0, count: binCount)

    public init() {}

    /// Adds every pixel of `images` (any shape, values in [-1, 1]; outside values go to the end bins).
    public mutating func add(_ images: Tensor) {
        let bins = Double(Self.binCount)
        let index = ((images.to(.float32) + 1) * (bins / 2)).floor().clamped(min: 0, max: bins - 1)
        // One pass over the pixels in Swift: a one-hot sum in libtorch would need bins x pixels memory.
        for bin in index.reshaped([-1]).to(.int64).scalars(as: Int64.self) {
            counts[Int(bin)] += 1
        }
    }

    public var total: Double { counts.reduce(0, +) }

    /// Counts divided by the total (all zeros for an empty histogram).
    public var probabilities: [Double] {
        let total = self.total
        return total > 0 ? counts.map { $0 / total } : counts
    }

    /// Earth mover's (Wasserstein-1) distance in units of the full intensity range: 0 for equal
    /// distributions, 1 when all pixels are black in one and white in the other.
    public static func wasserstein(_ a: IntensityHistogram, _ b: IntensityHistogram) -> Double {
        let p = a.probabilities, q = b.probabilities
        var cumulative = 0.0, distance = 0.0
        for bin in 0..<(binCount - 1) {
            cumulative += p[bin] - q[bin]
            distance += abs(cumulative)
        }
        return distance / Double(binCount - 1)
    }

    /// Jensen-Shannon divergence in bits, in [0, 1]: 0 for equal distributions, 1 for disjoint ones.
    public static func jensenShannon(_ a: IntensityHistogram, _ b: IntensityHistogram) -> Double {
        let p = a.probabilities, q = b.probabilities
        var divergence = 0.0
        for bin in 0..<binCount {
            let middle = (p[bin] + q[bin]) / 2
            if p[bin] > 0 { divergence += p[bin] * log2(p[bin] / middle) / 2 }
            if q[bin] > 0 { divergence += q[bin] * log2(q[bin] / middle) / 2 }
        }
        return Swift.max(0, divergence)
    }
}
