import Foundation
import TestSupport
import Testing

/// What the studio refuses: paths out of the served folders, requests without the token off
/// loopback, foreign Host names, oversized and malformed requests; and that it keeps answering.
@Suite(.serialized) struct StudioSafetyTests {
    let tiny = TinyStudioRun.shared

    @Test func hostilePathsAreRefusedAndTheServerKeepsAnswering() throws {
        // Outside the served folders: a secret image, reachable only through a symlink in the runs folder.
        let outside = tiny.scratch.url.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: tiny.data.appendingPathComponent("img/test/case00.png"), to: outside.appendingPathComponent("secret.png"))
        let link = tiny.runs.appendingPathComponent("escape")
        try? FileManager.default.removeItem(at: link)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        defer { try? FileManager.default.removeItem(at: link) }

        let studio = try StudioProcess(runs: [tiny.runs], data: tiny.data)
        let client = studio.client
        let forbidden = ["0:../data/img/test/case00.png", "0:tiny/../../data/img/test/case00.png", "0:/etc/passwd",
                         "0:escape/secret.png", "data:../runs/tiny/samples/0000.png", "data:/etc/hostname",
                         "0:tiny/unet/config.json", "0:~/x.png", "0:tiny/samples/./../../../outside/secret.png"]
        for id in forbidden {
            let response = try client.get("/api/file?file=\(id.queryEscaped)")
            #expect(response.status == 403, "\(id): \(response.status) \(response.text)")
            #expect(response.json["error"] is String && !response.text.contains("\n"), "\(id): \(response.text)")
        }
        for (target, status) in [("/api/file?file=0%3Atiny%2Fsamples%2F%00x.png", 400), ("/api/file?file=9:tiny/x.png", 400),
                                 ("/api/file?file=0:tiny/missing.png", 404), ("/api/file", 400),
                                 ("/api/galleries?run=0:..", 403), ("/api/galleries?run=0:/tmp", 403),
                                 ("/api/galleries?run=0:escape", 403), ("/page/../../../etc/passwd", 404),
                                 ("/../../etc/passwd", 404), ("/api/mask?run=0:tiny&file=0:escape/secret.png", 403)] {
            let response = try client.get(target)
            #expect(response.status == status, "\(target): \(response.status) \(response.text)")
        }
        // A real file of the run and of the data set are served.
        #expect(try client.get("/api/file?file=0:tiny/samples/0000.png").status == 200)
        #expect(try client.get("/api/file?file=data:img/test/case00.png").status == 200)
        #expect(try client.get("/api/runs").status == 200)
    }

    @Test func malformedRequestsGetOneLineReasonsAndNeverStopTheServer() throws {
        let studio = try StudioProcess(runs: [tiny.runs], data: tiny.data)
        let client = studio.client
        let mask = try client.mask(run: "0:tiny", file: "data:mask/all/test/case00.png")
        var wrongSize = mask
        wrongSize["width"] = 8
        var badLabel = mask
        badLabel["labels"] = (mask["labels"] as! [Int]).map { _ in 7 }
        let bodies: [(Any, String)] = [
            (["run": "0:tiny"], "mask"), (["mask": mask], "run"), (["run": "0:nowhere", "mask": mask], "not found"),
            (["run": "0:tiny", "mask": wrongSize], "8 x"), (["run": "0:tiny", "mask": badLabel], "label 7"),
            (["run": "0:tiny", "mask": mask, "sampler": "euler"], "sampler"), (["run": "0:tiny", "mask": mask, "steps": 0], "steps"),
            (["run": "0:tiny", "mask": mask, "steps": 5000], "steps"), (["run": "0:tiny", "mask": mask, "seeds": Array(0..<20)], "seeds"),
            (["run": "0:tiny", "mask": mask, "seeds": [-1]], "seeds"), (["run": "0:tiny", "mask": mask, "guidance_scale": "x"], "guidance"),
            (["run": "0:tiny", "mask": mask, "mode": "translate", "image": "data:../../etc/passwd"], "`..`"),
            (["run": "0:tiny", "mask": mask, "mode": "paint"], "mode"), ([1, 2, 3], "JSON object"),
        ]
        for (body, reason) in bodies {
            let response = try client.post("/api/jobs", json: body)
            #expect((400..<500).contains(response.status), "\(body): \(response.status)")
            let error = response.json["error"] as? String ?? ""
            #expect(error.contains(reason) && !error.contains("\n"), "\(body): \(error)")
        }
        #expect(try client.send("POST", "/api/jobs", headers: ["Content-Type": "application/json"], body: Data("{not json".utf8)).status == 400)
        // Over the body cap: refused from the declared length, and when a chunked body grows past it.
        let declared = try client.raw(Data("POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 900000000\r\n\r\n{}".utf8))
        #expect(String(decoding: declared, as: UTF8.self).hasPrefix("HTTP/1.1 413"), "\(String(decoding: declared.prefix(200), as: UTF8.self))")
        var chunked = Data("POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".utf8)
        // Lines of 64 bytes: what the server reads after refusing it is then quickly seen not to be a request.
        let piece = Data((0..<(1 << 14)).flatMap { _ in Array(repeating: UInt8(0x20), count: 63) + [0x0A] })
        for _ in 0..<10 { chunked += Data("100000\r\n".utf8) + piece + Data("\r\n".utf8) }
        chunked += Data("0\r\n\r\n".utf8)
        let grown = try client.raw(chunked, timeout: 20)
        #expect(String(decoding: grown, as: UTF8.self).hasPrefix("HTTP/1.1 413"), "\(String(decoding: grown.prefix(200), as: UTF8.self))")
        // Heads that are not HTTP, or too long to read: a 4xx with a one-line reason, answered at once.
        let started = Date()
        let longLine = "GET /api/runs?x=" + String(repeating: "a", count: 100_000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        let longHeader = "GET /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + String(repeating: "b", count: 40_000) + "\r\n\r\n"
        let manyHeaders = "GET /api/runs HTTP/1.1\r\n" + String(repeating: "X-A: 1\r\n", count: 150) + "\r\n"
        for (bytes, status) in [(Data("\u{1}\u{2}garbage\r\n\r\n".utf8), 400), (Data("GET\r\n\r\n".utf8), 400),
                                (Data("GET /api/runs HTTP/1.1\r\nno colon here\r\n\r\n".utf8), 400),
                                (Data("GET api/runs HTTP/1.1\r\n\r\n".utf8), 400), (Data([0xFF, 0xFE, 0x0D, 0x0A, 0x0D, 0x0A]), 400),
                                (Data(longLine.utf8), 431), (Data(longHeader.utf8), 431), (Data(manyHeaders.utf8), 431),
                                (Data(repeating: 0x41, count: 100_000), 431)] {
            let answer = try RawHTTP.parse(try client.raw(bytes))
            #expect(answer.status == status, "\(String(decoding: bytes.prefix(40), as: UTF8.self)): \(answer.status)")
            #expect((answer.json["error"] as? String).map { !$0.isEmpty && !$0.contains("\n") } == true)
        }
        #expect(Date().timeIntervalSince(started) < 10, "malformed heads took \(Date().timeIntervalSince(started)) s")
        for (method, target, status) in [("GET", "/api/nothing", 404), ("PUT", "/api/runs", 404), ("GET", "/api/jobs/j999", 404),
                                         ("GET", "/page/missing.js", 404), ("DELETE", "/", 404)] {
            let response = try client.send(method, target)
            #expect(response.status == status, "\(method) \(target): \(response.status)")
            #expect((response.json["error"] as? String)?.contains("\n") == false)
        }
        #expect(try client.get("/api/runs").status == 200)
        #expect(studio.process.isRunning)
    }

    /// Folders and addresses it cannot serve end it at once, in one line, with status 2.
    @Test func startUpErrorsAreOneLineWithStatusTwo() throws {
        let running = try StudioProcess(runs: [tiny.runs], data: nil)
        let port = running.client.port
        for (arguments, words) in [(["--runs", "/nonexistent-runs"], "/nonexistent-runs: folder not found"),
                                   (["--runs", tiny.runs.path, "--host", "1.2.3"], "--host 1.2.3"),
                                   (["--runs", tiny.runs.path, "--data", tiny.runs.path], "no masks/ folder"),
                                   (["--runs", tiny.runs.path, "--port", "\(port)"], "Address already in use")] {
            let result = try SegMaDiffBinary.run(["studio"] + arguments, in: tiny.scratch.url)
            let text = result.stderr
            #expect(result.status == 2, "\(arguments): \(text)")
            #expect(text.hasPrefix("segmadiff: error: ") && text.contains(words) && text.split(separator: "\n").count == 1, "\(text)")
        }
    }

    @Test func aForeignHostNameIsRefusedOnLoopback() throws {
        let studio = try StudioProcess(runs: [tiny.runs], data: nil)
        #expect(studio.token == nil)
        #expect(try studio.client.get("/api/runs", headers: ["Host": "attacker.example:80"]).status == 403)
        #expect(try studio.client.get("/api/runs", headers: ["Host": "localhost:1234"]).status == 200)
    }

    /// Off loopback (127.0.0.2 is another address of this machine) every request needs the token.
    @Test func anotherHostNeedsTheTokenOnEveryRequest() throws {
        let studio = try StudioProcess(runs: [tiny.runs], data: nil, host: "127.0.0.2")
        let token = try #require(studio.token)
        #expect(token.count == 64)
        #expect(studio.banner.contains("token"))
        let client = studio.client
        for target in ["/", "/api/runs", "/page/studio.js", "/api/file?file=0:tiny/samples/0000.png", "/api/jobs/x"] {
            #expect(try client.get(target).status == 401, "\(target)")
            #expect(try client.get(target, headers: ["X-Studio-Token": String(repeating: "0", count: 64)]).status == 401, "\(target)")
        }
        #expect(try client.get("/api/runs", headers: ["X-Studio-Token": token]).status == 200)
        #expect(try client.get("/api/runs", headers: ["Authorization": "Bearer \(token)"]).status == 200)
        #expect(try client.get("/api/runs", headers: ["Cookie": "other=1; studio_token=\(token)"]).status == 200)
        let page = try client.get("/?token=\(token)")
        #expect(page.status == 200)
        #expect(page.headers["set-cookie"]?.contains("studio_token=\(token)") == true)
        #expect(page.headers["set-cookie"]?.contains("HttpOnly") == true)
    }
}
