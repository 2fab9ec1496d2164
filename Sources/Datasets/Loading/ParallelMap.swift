import Dispatch
import Torch

/// Runs `body` for 0..<count on all cores and returns the results in index order. The iterations
/// run at once, so each runs its libtorch ops on one thread: the cores are already shared out.
func parallelMap<T>(_ count: Int, _ body: (Int) -> T) -> [T] {
    let slots = Slots<T>(count)
    defer { slots.release() }
    // concurrentPerform returns only after every iteration has finished, so `body` never outlives this call.
    nonisolated(unsafe) let body = body
    DispatchQueue.concurrentPerform(iterations: count) { index in
        // Some iterations run on the calling thread: the scoped setting leaves its team as it was.
        (slots.base + index).initialize(to: Engine.withThreadLocalThreads(1) { body(index) })
    }
    return (0..<count).map { slots.base[$0] }
}

/// Raw result slots: each iteration initialises its own slot, so writes never overlap and need no
/// lock (a Swift Array would be mutated through one shared reference, which is a data race).
final class Slots<T>: @unchecked Sendable {
    let base: UnsafeMutablePointer<T>
    let count: Int

    init(_ count: Int) {
        self.count = count
        base = UnsafeMutablePointer<T>.allocate(capacity: Swift.max(count, 1))
    }

    func release() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
