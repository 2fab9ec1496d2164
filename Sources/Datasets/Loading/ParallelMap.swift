import Dispatch

/// Runs `body` for 0..<count on all cores and returns the results in index order.
func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    let slots = Slots<T>(count)
    // concurrentPerform returns only after every iteration has finished, so `body` never outlives this call.
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: count) { index in
        slots.buffer[index] = body(index)
    }
    return slots.buffer.map { $0! }
}

/// Result slots shared by the iterations; each index is written by exactly one of them, so no lock.
private final class Slots<T>: @unchecked Sendable {
    var buffer: [T?]
    init(_ count: Int) { buffer = [T?](repeating: nil, count: count) }
}
