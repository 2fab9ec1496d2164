import Dispatch
import Foundation

/// Turns Ctrl-C (SIGINT) and SIGTERM into a flag the training loop checks between steps, so it can
/// save its state and exit cleanly. A second Ctrl-C exits at once.
public final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

    public init() {}

    public var isRequested: Bool { lock.withLock { requested } }

    public func request() { lock.withLock { requested = true } }

    /// Starts listening for SIGINT and SIGTERM.
    public func install() {
        for signalNumber in [SIGINT, SIGTERM] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                if self.isRequested { exit(130) }
                FileHandle.standardError.write(Data("\nsegmadiff: stopping after this step; the training state will be saved (Ctrl-C again to quit now)\n".utf8))
                self.request()
            }
            source.resume()
            sources.append(source)
        }
    }
}
