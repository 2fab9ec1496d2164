import Datasets
import Foundation
import Testing
import Torch

/// A running studio over HTTP on the tiny run: the runs and their samples, a generation followed
/// through its events to PNGs that decode, translation, and stopping a job.
@Suite(.serialized) struct StudioHTTPTests {
    let tiny = TinyStudioRun.shared
    let studio: StudioProcess
    var client: RawHTTP { studio.client }

    init() throws {
        studio = try StudioProcess(runs: [tiny.runs], data: tiny.data)
    }

    @Test func runsAreListedWithTheirDescriptionAndSamples() throws {
        let runs = try client.get("/api/runs").json["runs"] as? [[String: Any]] ?? []
        let run = try #require(runs.first { $0["id"] as? String == "0:tiny" }, "\(runs)")
        #expect(run["image_size"] as? Int == 16)
        #expect((run["classes"] as? [[String: Any]])?.map { $0["name"] as? String } == TinyStudioRun.classNames)
        #expect((run["classes"] as? [[String: Any]])?[1]["colour"] as? String == "#e69f00")
        #expect(run["mask_encoding"] as? String == "scaled")
        #expect((run["steps"] as? Int ?? 0) > 0)
        #expect(run["last_loss"] is Double)
        #expect((run["parameters"] as? Int ?? 0) > 1000)
        #expect(run["editable"] as? Bool == true)

        let galleries = try client.get("/api/galleries?run=0:tiny").json["galleries"] as? [[String: Any]] ?? []
        let grids = try #require(galleries.first { $0["mask_kind"] as? String == "grid" }, "\(galleries)")
        let item = try #require((grids["items"] as? [[String: Any]])?.first)
        let image = try client.get("/api/file?file=\((item["image"] as! String).queryEscaped)")
        #expect(image.status == 200 && image.headers["content-type"] == "image/png")
        let overlay = try client.get("/api/overlay?run=0:tiny&kind=grid&file=\((item["mask"] as! String).queryEscaped)")
        #expect(overlay.status == 200)
        #expect(try PixelCodec.decode(overlay.body).channels == 4)

        let samples = try client.get("/api/data").json["samples"] as? [[String: Any]] ?? []
        #expect(samples.first?["mask"] as? String == "data:mask/all/test/case00.png")
        #expect(samples.first?["image"] as? String == "data:img/test/case00.png")
        #expect(samples.count == 10)
    }

    /// A grid's grey masks are min-max scaled, so its levels 0, 128, 255 are the labels 0, 1, 2.
    @Test func gridMasksAreColouredByTheirLabels() throws {
        let folder = tiny.runs.appendingPathComponent("grids")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let grey: [UInt8] = [0, 128, 255, 128]
        try PixelCodec.encodePNG(Tensor(grey, shape: [1, 2, 2])).write(to: folder.appendingPathComponent("levels.png"))
        let overlay = try PixelCodec.decode(try client.get("/api/overlay?run=0:tiny&kind=grid&file=0:grids/levels.png").body)
        let rgba = overlay.samples.to(.int64).scalars(as: Int64.self)
        // Channel-major [4, 2, 2]: pixel 1 is class 1 (#e69f00), pixel 2 class 2 (#56b4e9), pixel 0 clear.
        #expect([rgba[1], rgba[5], rgba[9], rgba[13]] == [0xe6, 0x9f, 0x00, 255])
        #expect([rgba[2], rgba[6], rgba[10], rgba[14]] == [0x56, 0xb4, 0xe9, 255])
        #expect(rgba[12] == 0)
    }

    @Test func aGenerationStreamsItsProgressToImagesThatDecode() throws {
        let mask = try client.mask(run: "0:tiny", file: "data:mask/all/test/case00.png")
        #expect(mask["width"] as? Int == 16 && (mask["labels"] as? [Int])?.count == 256)
        let (id, events) = try client.runJob(["run": "0:tiny", "mask": mask, "sampler": "ddim", "steps": 8, "seeds": [3, 4]])
        #expect(events.last?.name == "done", "\(events.map(\.name))")
        let steps = events.filter { $0.name == "progress" }.compactMap { $0.data["step"] as? Int }
        #expect(steps.last == 8 && steps == steps.sorted(), "\(steps)")
        #expect(events.contains { $0.name == "preview" && ($0.data["images"] as? [String])?.count == 2 })
        let images = try #require(events.last?.data["images"] as? [String])
        #expect(images.count == 2)
        for link in images {
            let png = try client.get(link)
            let decoded = try PixelCodec.decode(png.body)
            #expect(decoded.width == 16 && decoded.height == 16 && decoded.channels == 1)
        }
        let returnedMask = try PixelCodec.decode(try client.get("/api/jobs/\(id)/mask.png").body)
        #expect(returnedMask.samples.to(.int64).scalars(as: Int64.self).map(Int.init) == mask["labels"] as? [Int])
        let array = try client.get("/api/jobs/\(id)/image/1.npy")
        #expect(array.status == 200 && array.body.starts(with: Data([0x93]) + Data("NUMPY".utf8)))
        let status = try client.get("/api/jobs/\(id)").json
        #expect(status["state"] as? String == "done")
        // The same request again gives the same pixels: the seed decides the noise.
        let (again, _) = try client.runJob(["run": "0:tiny", "mask": mask, "sampler": "ddim", "steps": 8, "seeds": [3, 4]])
        #expect(try client.get("/api/jobs/\(again)/image/0.png").body == (try client.get(images[0]).body))
    }

    @Test func translationAndTheOtherSamplersRun() throws {
        let mask = try client.mask(run: "0:tiny", file: "data:mask/all/test/case01.png")
        let (_, translated) = try client.runJob(["run": "0:tiny", "mask": mask, "mode": "translate", "image": "data:img/test/case01.png",
                                                 "strength": 0.5, "steps": 6, "seeds": [1]])
        #expect(translated.last?.name == "done", "\(translated.last?.data ?? [:])")
        for sampler in ["ddpm", "dpmpp"] {
            let (_, events) = try client.runJob(["run": "0:tiny", "mask": mask, "sampler": sampler, "steps": 3, "guidance_scale": 2.0])
            #expect(events.last?.name == "done", "\(sampler): \(events.last?.data ?? [:])")
        }
    }

    @Test func aCancelledJobAndAClosedPageStopTheirJobs() throws {
        let mask = try client.mask(run: "0:tiny", file: "data:mask/all/test/case00.png")
        let long: [String: Any] = ["run": "0:tiny", "mask": mask, "sampler": "ddpm", "steps": 1000, "seeds": [1, 2, 3, 4]]
        let first = try client.post("/api/jobs", json: long).json["id"] as! String
        let queued = try client.post("/api/jobs", json: long).json
        #expect(queued["state"] as? String == "queued")
        let second = queued["id"] as! String
        // The waiting one leaves the queue at once.
        #expect(try client.send("POST", "/api/jobs/\(second)/cancel").json["state"] as? String == "cancelled")
        // The running one stops between steps.
        let reader = try EventReader(client, path: "/api/jobs/\(first)/events")
        while let event = try reader.next(), event.name != "progress" {}
        _ = try client.send("DELETE", "/api/jobs/\(first)")
        var last = ""
        while let event = try reader.next() { last = event.name }
        #expect(last == "cancelled")
        let stopped = try client.get("/api/jobs/\(first)").json
        #expect((stopped["step"] as? Int ?? 1000) < 1000)

        // A page watching a job closes: the job stops.
        let third = try client.post("/api/jobs", json: long).json["id"] as! String
        let page = try EventReader(client, path: "/api/jobs/\(third)/events")
        while let event = try page.next(), event.name != "progress" {}
        page.close()
        let deadline = Date().addingTimeInterval(15)
        var state = ""
        while Date() < deadline {
            state = try client.get("/api/jobs/\(third)").json["state"] as? String ?? ""
            if state == "cancelled" { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        #expect(state == "cancelled")
        #expect(try client.get("/api/queue").json["running"] is NSNull)
    }
}
