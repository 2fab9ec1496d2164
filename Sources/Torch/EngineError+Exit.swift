import Foundation

extension EngineError {
    /// Whether libtorch ran out of memory: the CPU allocator ("DefaultCPUAllocator: can't allocate
    /// memory", "not enough memory") or CUDA ("CUDA out of memory").
    public var isOutOfMemory: Bool {
        let text = message.lowercased()
        return ["can't allocate memory", "cannot allocate memory", "not enough memory", "out of memory", "bad_alloc"]
            .contains { text.contains($0) }
    }

    /// libtorch's message cut to its first line and 200 characters (its messages carry C++ stack
    /// traces and, for CUDA, a paragraph of allocator advice).
    public var shortMessage: String {
        let first = message.split(whereSeparator: \.isNewline).first.map(String.init) ?? message
        return first.count > 200 ? String(first.prefix(200)) + "..." : first
    }

    /// The one line a failure outside `Engine.catching` ends the process with.
    public var exitLine: String {
        if isOutOfMemory {
            return "segmadiff: error: out of memory: \(shortMessage); try a smaller --train_batch_size or --img_size"
        }
        return "segmadiff: error: libtorch failed in \(operation): \(shortMessage); this is a segmadiff bug: please report it with the command line"
    }

    /// Writes `exitLine` to stderr and ends the process with status 2 at once: no trap, no core,
    /// and nothing else flushed (buffered output of a half-done step would only mislead).
    public func stopProcess() -> Never {
        let line = exitLine + "\n"
        line.utf8CString.withUnsafeBufferPointer { buffer in
            _ = Foundation.write(STDERR_FILENO, buffer.baseAddress, buffer.count - 1)
        }
        _exit(2)
    }
}
