import Foundation
import Testing

/// Fifty requests at once, twice: every one is answered in bounded time, the jobs run in the order
/// they came, the studio answers afterwards, and its memory stays flat from one round to the next.
@Suite(.serialized) struct StudioLoadTests {
    @Test func fiftyConcurrentRequestsLeaveItAnsweringInOrderWithFlatMemory() throws {
        let tiny = TinyStudioRun.shared
        let studio = try StudioProcess(runs: [tiny.runs], data: tiny.data)
        let client = studio.client
        let mask = try client.mask(run: "0:tiny", file: "data:mask/all/test/case00.png")
        let job: [String: Any] = ["run": "0:tiny", "mask": mask, "sampler": "ddim", "steps": 2, "seeds": [1]]
        // Warm up: the model loaded, the first allocations made.
        #expect(try client.runJob(job).events.last?.name == "done")

        let bodies = try (0..<25).map { try JSONSerialization.data(withJSONObject: job.merging(["seeds": [$0]]) { $1 }) }
        var resident: [Int] = []
        for round in 0..<2 {
            let started = Date()
            let answers = try concurrently(50) { index -> RawHTTP.Response in
                switch index % 4 {
                case 0, 2: return try client.send("POST", "/api/jobs", headers: ["Content-Type": "application/json"], body: bodies[index / 2])
                case 1: return try client.get("/api/runs")
                default: return try client.get("/api/overlay?run=0:tiny&file=data:mask/all/test/case01.png")
                }
            }
            let elapsed = Date().timeIntervalSince(started)
            #expect(elapsed < 30, "round \(round): 50 requests took \(elapsed) s")
            let statuses = answers.map(\.status)
            #expect(statuses.allSatisfy { $0 == 200 || $0 == 202 }, "round \(round): \(statuses)")
            let jobs = answers.compactMap { $0.json["id"] as? String }
            #expect(jobs.count == 25)

            // Every job ends, in the order the queue took them.
            let deadline = Date().addingTimeInterval(60)
            var finished: [[String: Any]] = []
            while Date() < deadline {
                finished = try jobs.map { try client.get("/api/jobs/\($0)").json }
                if finished.allSatisfy({ $0["state"] as? String == "done" }) { break }
                Thread.sleep(forTimeInterval: 0.2)
            }
            #expect(finished.allSatisfy { $0["state"] as? String == "done" }, "round \(round): \(finished.map { $0["state"] ?? "?" })")
            let order = finished.sorted { ($0["number"] as? Int ?? 0) < ($1["number"] as? Int ?? 0) }.map { $0["started"] as? Int ?? 0 }
            #expect(order == order.sorted() && Set(order).count == order.count, "round \(round): start order \(order)")
            #expect(try client.get("/api/runs").status == 200)
            resident.append(studio.residentBytes)
        }
        let growth = resident[1] - resident[0]
        print("studio load test: resident memory after each round \(resident.map { $0 >> 20 }) MB")
        #expect(growth < 48 << 20, "resident memory grew by \(growth >> 20) MB between rounds")
        #expect(studio.process.isRunning)
    }

    /// Runs `count` requests at once, each on its own thread; returns the answers in index order.
    private func concurrently(_ count: Int, _ body: @escaping @Sendable (Int) throws -> RawHTTP.Response) throws -> [RawHTTP.Response] {
        let slots = Answers(count)
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread {
                let result = Result { try body(index) }
                slots.lock.withLock { slots.results[index] = result }
                group.leave()
            }.start()
        }
        guard group.wait(timeout: .now() + 60) == .success else { throw RawHTTP.Failure(description: "requests still running after 60 s") }
        return try slots.results.map { try $0!.get() }
    }
}

private final class Answers: @unchecked Sendable {
    let lock = NSLock()
    var results: [Result<RawHTTP.Response, Error>?]
    init(_ count: Int) { results = Array(repeating: nil, count: count) }
}
