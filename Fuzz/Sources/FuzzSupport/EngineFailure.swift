import Torch

/// Runs a reader the program calls outside Engine.catching. There, a libtorch failure ends the
/// process with `_exit(2)` ("libtorch failed in ...; this is a segmadiff bug"), which libFuzzer
/// cannot see, so the input that caused it would be lost: here it traps instead, and libFuzzer
/// keeps the input as a crash. Any other thrown error is the reader's proper refusal (nil).
public func refusedOrRead<T>(_ body: () throws -> T) -> T? {
    do {
        return try Engine.catching(body)
    } catch let failure as EngineError {
        fatalError("a reader let its input reach libtorch, which failed: \(failure.exitLine)")
    } catch {
        return nil
    }
}
