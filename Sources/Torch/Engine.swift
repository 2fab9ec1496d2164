import CTorch
import Foundation

/// A failure reported by libtorch, with the name of the operation that raised it.
public struct EngineError: Error, CustomStringConvertible, Sendable {
    public let operation: String
    public let message: String

    public var description: String { "\(operation): \(message)" }
}

/// How a failing libtorch call is handled. In model code a failure is a bug: the program stops with
/// libtorch's message and the op's name. Code that feeds user data to the engine wraps the work in
/// `Engine.catching`, which turns the first failure into a thrown `EngineError`.
public enum Engine {
    /// Thread-local, because libtorch's own grad and autocast modes are thread-local too.
    private final class Trap {
        var depth = 0
        var first: EngineError?
    }

    private static let trapKey = "segmadiff.engine.trap"

    private static var trap: Trap {
        if let trap = Thread.current.threadDictionary[trapKey] as? Trap { return trap }
        let trap = Trap()
        Thread.current.threadDictionary[trapKey] = trap
        return trap
    }

    /// Runs `body`; if any libtorch call in it fails, throws the first failure. After a failure the
    /// remaining ops see undefined placeholder tensors and fail quietly, so `body` runs to its end.
    public static func catching<T>(_ body: () throws -> T) throws -> T {
        let trap = self.trap
        let outer = trap.first
        trap.depth += 1
        trap.first = nil
        defer {
            trap.depth -= 1
            trap.first = outer
        }
        let result = try body()
        if let failure = trap.first { throw failure }
        return result
    }

    /// Reports a failure of `operation`; returns only inside `catching`. Outside it the process
    /// stops with one line and exit status 2 (`EngineError.stopProcess`), never a trap and a core:
    /// the commonest such failure is running out of memory, which is the user's to fix.
    static func fail(_ operation: String, _ message: UnsafePointer<CChar>) {
        let error = EngineError(operation: operation, message: String(cString: message))
        let trap = self.trap
        guard trap.depth > 0 else { error.stopProcess() }
        if trap.first == nil { trap.first = error }
    }

    /// Checks the result of a call that returns no tensor.
    @inline(__always)
    static func check(_ operation: String, _ error: ct_error?) {
        if let error { fail(operation, error) }
    }

    /// Runs a call that makes one tensor.
    @inline(__always)
    static func make(_ operation: String, _ body: (UnsafeMutablePointer<ct_tensor?>) -> ct_error?) -> Tensor {
        Tensor(handle: makeHandle(operation, body))
    }

    /// Runs a call that makes one tensor handle (an undefined placeholder after a failure).
    @inline(__always)
    static func makeHandle(_ operation: String, _ body: (UnsafeMutablePointer<ct_tensor?>) -> ct_error?) -> ct_tensor {
        var out: ct_tensor?
        if let error = body(&out) {
            fail(operation, error)
            return ct_undefined()
        }
        return out!
    }

    /// The libtorch version segmadiff runs on.
    public static var libtorchVersion: String { String(cString: ct_version()) }

    /// The intra-op thread count the process asked for (`Engine.threads = n`); nil until set.
    nonisolated(unsafe) public private(set) static var configuredThreads: Int?

    /// Intra-op threads of the calling thread's libtorch ops. OpenMP keeps the team size per
    /// thread, so this reads the calling thread's own; setting it sets the process-wide count
    /// (every thread that has not chosen its own) and the calling thread's.
    public static var threads: Int {
        get { Int(ct_get_num_threads()) }
        set {
            configuredThreads = Swift.max(1, newValue)
            ct_set_num_threads(Int32(Swift.max(1, newValue)))
        }
    }

    /// Makes the calling thread's own ops use `count` threads for the rest of its life: for a
    /// thread the caller created and owns (elsewhere use `withThreadLocalThreads`).
    public static func setThreadLocalThreads(_ count: Int) {
        ct_set_thread_local_threads(Int32(Swift.max(1, count)))
    }

    /// Runs `body` with the calling thread's libtorch ops on `count` threads, then gives the thread
    /// back its own count: for work items that run ops side by side and share the cores out among
    /// themselves. The restore matters because such items can run on the caller's thread
    /// (`concurrentPerform` does): left at 1, a training loop on that thread would lose its team.
    public static func withThreadLocalThreads<T>(_ count: Int, _ body: () throws -> T) rethrows -> T {
        let previous = threads
        ct_set_thread_local_threads(Int32(Swift.max(1, count)))
        defer { ct_set_thread_local_threads(Int32(previous)) }
        return try body()
    }

    /// Whether a CUDA device can be used (the build linked a CUDA libtorch and a GPU is present).
    public static var cudaAvailable: Bool { ct_cuda_available() }
    public static var cudaDeviceCount: Int { Int(ct_cuda_device_count()) }

    public static func synchronize(_ device: Device) {
        if case .cuda(let index) = device { check("cuda_synchronize", ct_cuda_synchronize(Int32(index))) }
    }

    /// Seeds libtorch's default CPU generator.
    public static func manualSeed(_ seed: UInt64) { check("manual_seed", ct_manual_seed(seed)) }

    /// Turns bf16 (or fp16) autocast on or off for a device type, on this thread.
    public static func setAutocast(_ enabled: Bool, device: Device = .cpu, dtype: DType = .bfloat16) {
        check("set_autocast", ct_set_autocast(device.cType, enabled, dtype.rawValue))
    }

    /// Drops autocast's cached low-precision weight copies (call after each optimizer step).
    public static func clearAutocastCache() { ct_autocast_clear_cache() }

    /// Records every op libtorch runs while `body` runs and writes them to `path` as a Chrome
    /// trace (bench/profile_table.py sums it per op).
    public static func profiled<T>(to path: String, _ body: () throws -> T) rethrows -> T {
        check("profile", ct_profile_start(path))
        defer { check("profile", ct_profile_stop()) }
        return try body()
    }
}
