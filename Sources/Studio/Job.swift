import Foundation

/// One queued generation: its state, progress and results, and the event streams of the pages
/// watching it. Shared between the HTTP handlers and the engine's thread, so every field is read
/// and written under its lock.
final class Job: @unchecked Sendable {
    enum State: String { case queued, running, done, failed, cancelled }

    /// The images (PNG for the page, NPY at full precision) and the mask they were conditioned on.
    struct Results {
        var images: [Data]
        var imageArrays: [Data]
        var mask: Data
        var maskArray: Data
        var maskOverlay: Data
        var seconds: Double
    }

    let id: String
    /// The order of submission.
    let number: Int
    let request: JobRequest
    private let lock = NSLock()
    private var _state = State.queued
    private var _step = 0, _total = 0
    private var _error: String?
    private var _results: Results?
    private var _cancelRequested = false
    /// The order in which the engine started it (the queue's order, tested).
    private var _started: Int?
    private var _preview: [String]?
    private var watchers: [Int: AsyncStream<Data>.Continuation] = [:]
    private var nextWatcher = 0
    private var everWatched = false

    init(id: String, number: Int, request: JobRequest) {
        self.id = id
        self.number = number
        self.request = request
    }

    var state: State { lock.withLock { _state } }
    var results: Results? { lock.withLock { _results } }
    var cancelRequested: Bool { lock.withLock { _cancelRequested } }

    static func terminal(_ state: State) -> Bool { state == .done || state == .failed || state == .cancelled }

    func status(position: Int?) -> [String: Any] {
        lock.withLock {
            var object: [String: Any] = ["id": id, "number": number, "state": _state.rawValue, "step": _step, "total": _total,
                                         "request": request.summary]
            if let position { object["position"] = position }
            if let _started { object["started"] = _started }
            if let _error { object["error"] = _error }
            if _results != nil { object["results"] = links() }
            return object
        }
    }

    /// The result URLs the page loads.
    private func links() -> [String: Any] {
        let count = request.seeds.count
        return ["images": (0..<count).map { "/api/jobs/\(id)/image/\($0).png" },
                "arrays": (0..<count).map { "/api/jobs/\(id)/image/\($0).npy" },
                "mask": "/api/jobs/\(id)/mask.png", "mask_array": "/api/jobs/\(id)/mask.npy",
                "mask_overlay": "/api/jobs/\(id)/mask-overlay.png",
                "seeds": request.seeds.map { Int($0) }, "seconds": _results?.seconds ?? 0]
    }

    // MARK: the engine's side

    func start(order: Int) {
        lock.withLock {
            _state = .running
            _started = order
        }
        send("state", ["state": "running", "started": order])
    }

    func progress(step: Int, total: Int, preview: [String]?) {
        lock.withLock {
            _step = step
            _total = total
            if let preview { _preview = preview }
        }
        send("progress", ["step": step, "total": total])
        if let preview { send("preview", ["step": step, "total": total, "images": preview]) }
    }

    func finish(_ state: State, results: Results? = nil, error: String? = nil) {
        let payload: [String: Any] = lock.withLock {
            _state = state
            _results = results
            _error = error
            _preview = nil
            switch state {
            case .done: return links()
            case .failed: return ["error": error ?? "failed"]
            default: return [:]
            }
        }
        send(state.rawValue, payload)
        let streams = lock.withLock { () -> [AsyncStream<Data>.Continuation] in
            defer { watchers = [:] }
            return Array(watchers.values)
        }
        streams.forEach { $0.finish() }
    }

    /// Asks the engine to stop at its next step; a queued job is dropped by the queue.
    func requestCancel() { lock.withLock { _cancelRequested = true } }

    // MARK: the pages' side

    /// A server-sent event stream: the current state first, then every event until the job ends.
    /// When the last page watching an unfinished job goes away, the job is cancelled.
    func watch(position: Int?, onAbandoned: @escaping @Sendable (Job) -> Void) -> EventStream {
        let (stream, continuation) = AsyncStream.makeStream(of: Data.self, bufferingPolicy: .bufferingNewest(64))
        let snapshot = status(position: position)
        continuation.yield(Self.event("state", snapshot))
        let (finished, preview, state, key): (Bool, [String]?, State, Int) = lock.withLock {
            let key = nextWatcher
            nextWatcher += 1
            if !Self.terminal(_state) {
                watchers[key] = continuation
                everWatched = true
            }
            return (Self.terminal(_state), _preview, _state, key)
        }
        if let preview { continuation.yield(Self.event("preview", ["step": snapshot["step"] ?? 0, "total": snapshot["total"] ?? 0, "images": preview])) }
        if finished {
            let payload: [String: Any] = state == .done ? (snapshot["results"] as? [String: Any] ?? [:]) : ["error": snapshot["error"] ?? ""]
            continuation.yield(Self.event(state.rawValue, payload))
            continuation.finish()
            return EventStream(stream) {}
        }
        // A page that closed is noticed when a write fails; the pings make sure there is one.
        let pinger = Task {
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 1_000_000_000)
                continuation.yield(Data(": ping\n\n".utf8))
            }
        }
        continuation.onTermination = { [weak self] _ in
            pinger.cancel()
            guard let self else { return }
            let abandoned = self.lock.withLock { () -> Bool in
                self.watchers[key] = nil
                return self.watchers.isEmpty && self.everWatched && !Self.terminal(self._state)
            }
            if abandoned { onAbandoned(self) }
        }
        // The server drops the body when its connection fails or closes: that ends the watch.
        return EventStream(stream) { continuation.finish() }
    }

    private func send(_ name: String, _ payload: [String: Any]) {
        let bytes = Self.event(name, payload)
        let streams = lock.withLock { Array(watchers.values) }
        streams.forEach { $0.yield(bytes) }
    }

    /// `event: NAME\ndata: JSON\n\n`.
    static func event(_ name: String, _ payload: [String: Any]) -> Data {
        let json = (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return Data("event: \(name)\ndata: ".utf8) + json + Data("\n\n".utf8)
    }
}
