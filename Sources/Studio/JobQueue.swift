import Foundation
import Torch

/// The one worker: jobs run one at a time, in the order they came, on a thread of their own (the
/// engine's tensors never meet the server's tasks). Finished jobs are kept, results and all, up to
/// a fixed count, so memory stays flat however long the studio runs.
final class JobQueue: @unchecked Sendable {
    /// Jobs waiting beyond this are refused (429): a page that floods the queue waits for none.
    static let maximumWaiting = 64
    /// Finished jobs kept for their results.
    static let keptFinished = 32

    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var running: Job?
    private var jobs: [String: Job] = [:]
    private var finished: [String] = []
    private var submitted = 0
    private var started = 0
    private let engine: GenerationEngine

    init(engine: GenerationEngine) {
        self.engine = engine
        let thread = Thread { [self] in work() }
        thread.name = "studio-engine"
        thread.stackSize = 16 << 20
        thread.start()
    }

    func submit(_ request: JobRequest) throws -> Job {
        condition.lock()
        defer { condition.unlock() }
        guard waiting.count < Self.maximumWaiting else {
            throw StudioError(.tooManyRequests, "\(waiting.count) jobs are waiting; cancel some or wait")
        }
        submitted += 1
        let job = Job(id: String(format: "j%d-%@", submitted, String(UUID().uuidString.prefix(8)).lowercased()), number: submitted, request: request)
        jobs[job.id] = job
        waiting.append(job)
        condition.signal()
        return job
    }

    func job(_ id: String) throws -> Job {
        condition.lock()
        defer { condition.unlock() }
        guard let job = jobs[id] else { throw StudioError.notFound("job \(id.prefix(40)) not found (finished jobs are kept for a while only)") }
        return job
    }

    /// Jobs ahead of this one, the running one included; nil once it runs.
    func position(_ job: Job) -> Int? {
        condition.lock()
        defer { condition.unlock() }
        guard let index = waiting.firstIndex(where: { $0 === job }) else { return nil }
        return index + (running == nil ? 0 : 1)
    }

    /// Stops a job: a waiting one leaves the queue at once, a running one at its next step.
    func cancel(_ job: Job) {
        condition.lock()
        let index = waiting.firstIndex { $0 === job }
        if let index { waiting.remove(at: index) }
        condition.unlock()
        job.requestCancel()
        if index != nil { retire(job, .cancelled) }
    }

    /// What /api/queue shows.
    func summary() -> [String: Any] {
        condition.lock()
        defer { condition.unlock() }
        return ["running": running?.id ?? NSNull(), "waiting": waiting.map(\.id), "submitted": submitted, "started": started]
    }

    private func work() {
        while true {
            condition.lock()
            while waiting.isEmpty { condition.wait() }
            let job = waiting.removeFirst()
            started += 1
            let order = started
            running = job
            condition.unlock()

            job.start(order: order)
            let begin = Date()
            do {
                // A libtorch failure ends the job, not the server.
                var results = try Engine.catching { try engine.run(job) }
                results.seconds = Date().timeIntervalSince(begin)
                retire(job, .done, results: results)
            } catch is GenerationEngine.Cancelled {
                retire(job, .cancelled)
            } catch let error as StudioError {
                retire(job, .failed, error: error.reason)
            } catch {
                retire(job, .failed, error: "\(error)")
            }
            condition.lock()
            running = nil
            condition.unlock()
        }
    }

    private func retire(_ job: Job, _ state: Job.State, results: Job.Results? = nil, error: String? = nil) {
        job.finish(state, results: results, error: error)
        condition.lock()
        finished.append(job.id)
        while finished.count > Self.keptFinished {
            jobs[finished.removeFirst()] = nil
        }
        condition.unlock()
    }
}
