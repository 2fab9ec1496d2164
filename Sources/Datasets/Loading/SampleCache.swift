import Foundation

/// Decoded, resized samples kept in memory, for data sets small enough that decoding every epoch
/// is waste (off by default: memory grows to the whole split).
final class SampleCache: @unchecked Sendable {
    private let lock = NSLock()
    private var samples: [Int: PreparedSample] = [:]

    func sample(_ index: Int, orLoad load: () throws -> PreparedSample) rethrows -> PreparedSample {
        lock.lock()
        let cached = samples[index]
        lock.unlock()
        if let cached { return cached }
        let loaded = try load()
        lock.lock()
        samples[index] = loaded
        lock.unlock()
        return loaded
    }
}
