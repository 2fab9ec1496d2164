import FlyingSocks
import Foundation

/// A job's server-sent events as the byte sequence FlyingFox streams as a chunked body. The server
/// writes it until the job ends or the connection fails; when it lets go of the body (page closed,
/// network gone), `release` runs, so the job learns that nobody watches any more.
struct EventStream: AsyncBufferedSequence, @unchecked Sendable {
    typealias Element = UInt8

    private let events: AsyncStream<Data>
    private let lease: Lease

    init(_ events: AsyncStream<Data>, release: @escaping @Sendable () -> Void) {
        self.events = events
        lease = Lease(release)
    }

    func makeAsyncIterator() -> Iterator { Iterator(base: events.makeAsyncIterator(), lease: lease) }

    struct Iterator: AsyncBufferedIteratorProtocol {
        var base: AsyncStream<Data>.Iterator
        let lease: Lease
        var pending: ArraySlice<UInt8> = []

        mutating func next() async throws -> UInt8? {
            guard let buffer = try await nextBuffer(suggested: 1) else { return nil }
            return buffer.first
        }

        mutating func nextBuffer(suggested count: Int) async throws -> ArraySlice<UInt8>? {
            if pending.isEmpty {
                guard let event = await base.next() else { return nil }
                pending = ArraySlice(event)
            }
            let taken = pending.prefix(Swift.max(count, 1))
            pending = pending.dropFirst(taken.count)
            return taken
        }
    }

    final class Lease: @unchecked Sendable {
        private let release: @Sendable () -> Void
        init(_ release: @escaping @Sendable () -> Void) { self.release = release }
        deinit { release() }
    }
}
