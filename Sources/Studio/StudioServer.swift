import Datasets
import FlyingFox
import FlyingSocks
import Foundation
import Torch

/// What `segmadiff studio` was told.
public struct StudioSettings: Sendable {
    public var runs: [String]
    public var data: String?
    public var host: String
    /// 0 picks a free port (printed at start).
    public var port: UInt16

    public init(runs: [String], data: String?, host: String = "127.0.0.1", port: UInt16 = 7860) {
        self.runs = runs
        self.data = data
        self.host = host
        self.port = port
    }
}

/// The studio: a local web app over the runs and data given, served by FlyingFox behind the front
/// door. Every request passes the access gate, then one router; every refusal is a 4xx with a
/// one-line JSON reason.
public final class StudioServer: Sendable {
    /// The largest request body read (a 1024 x 1024 mask as JSON is about 3 MB).
    static let maximumBody = 8 << 20

    let settings: StudioSettings
    let gate: AccessGate
    let catalog: RunCatalog
    let data: DataCatalog?
    let page: PageFiles
    let queue: JobQueue
    private let door: FrontDoor
    private let server: HTTPServer

    public init(_ settings: StudioSettings) throws {
        self.settings = settings
        gate = AccessGate(host: settings.host)
        do {
            catalog = RunCatalog(folders: try settings.runs.map(ServedFolder.init))
            data = try settings.data.map(DataCatalog.init)
        } catch let error as StudioError {
            throw StudioSetupError(description: error.reason)
        }
        page = PageFiles()
        // The server listens on a private Unix socket (an abstract name: no file to clean up); the
        // front door on the TCP address checks every request head before passing it on.
        let backend = sockaddr_un.unix(abstractNamespace: "segmadiff-studio-\(getpid())-\(AccessGate.newToken().prefix(16))")
        door = try FrontDoor(host: settings.host, port: settings.port, backend: backend)
        server = HTTPServer(config: HTTPServer.Configuration(address: backend, timeout: 30, logger: .disabled))
        // Last: its thread runs for the life of the process, so it starts only once nothing can fail.
        queue = JobQueue(engine: GenerationEngine())
    }

    /// The token requests must carry; nil on loopback.
    public var token: String? { gate.token }

    /// Serves until the process ends; `listening` gets the address to open once the socket is bound.
    public func run(listening: @escaping @Sendable (String) -> Void) async throws {
        await server.appendRoute("*") { [self] request in await self.respond(request) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.server.run() }
            group.addTask {
                try await self.server.waitUntilListening(timeout: 30)
                self.door.start()
                listening(self.address())
            }
            try await group.waitForAll()
        }
    }

    private func address() -> String {
        let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        return "http://\(host):\(door.port)/" + (token.map { "?token=\($0)" } ?? "")
    }

    func respond(_ request: HTTPRequest) async -> HTTPResponse {
        if let refusal = gate.refusal(request) { return Reply.error(refusal) }
        do {
            var response = try await route(request)
            if gate.tokenInQuery(request), let cookie = gate.cookie { response.headers[.setCookie] = cookie }
            return response
        } catch let error as StudioError {
            return Reply.error(error)
        } catch {
            return Reply.error(StudioError(.internalServerError, "\(error)"))
        }
    }

    private func route(_ request: HTTPRequest) async throws -> HTTPResponse {
        let parts = request.path.split(separator: "/").map(String.init)
        switch (request.method, parts.first ?? "") {
        case (.GET, ""):
            return Reply.data(try page.file("index.html"), type: Reply.contentType("index.html"))
        case (.GET, "page") where parts.count == 2:
            return Reply.data(try page.file(parts[1]), type: Reply.contentType(parts[1]))
        case (_, "api") where parts.count >= 2:
            return try await api(request, Array(parts.dropFirst()))
        default:
            throw StudioError.notFound("\(request.method.rawValue) \(request.path.prefix(80)): no such page or API")
        }
    }

    private func api(_ request: HTTPRequest, _ parts: [String]) async throws -> HTTPResponse {
        switch (request.method, parts[0], parts.count) {
        case (.GET, "runs", 1):
            return Reply.json(["runs": catalog.runs().map(RunDescription.json), "data": data != nil])
        case (.GET, "galleries", 1):
            let run = try catalog.run(try query(request, "run"))
            return Reply.json(["galleries": RunGallery.json(run, catalog: catalog) { folder in
                catalog.folders.firstIndex { $0.root == folder.root }
            }])
        case (.GET, "data", 1):
            return Reply.json(["samples": data?.json() ?? []])
        case (.GET, "file", 1):
            let path = try file(try query(request, "file"))
            guard let bytes = FileManager.default.contents(atPath: path) else { throw StudioError.notFound("file not readable") }
            let name = (path as NSString).lastPathComponent
            return Reply.data(bytes, type: Reply.contentType(path), download: name.hasSuffix(".npy") ? name : nil)
        case (.GET, "overlay", 1):
            return try overlay(request)
        case (.GET, "mask", 1):
            let run = try catalog.run(try query(request, "run"))
            let size = try modelSize(run)
            let path = try file(try query(request, "file"))
            // Read back only when every libtorch call succeeded.
            let labels = try Engine.catching { try MaskImages.labels(file: path, size: size) }
            return Reply.json(MaskImages.json(labels))
        case (.GET, "queue", 1):
            return Reply.json(queue.summary())
        case (.POST, "jobs", 1):
            let body = try await readBody(request)
            let job = try queue.submit(try Engine.catching { try JobRequest.parse(body, catalog: catalog, data: data) })
            return Reply.json(job.status(position: queue.position(job)), status: .accepted)
        case (_, "jobs", 2...):
            return try jobRoute(request, Array(parts.dropFirst()))
        default:
            throw StudioError.notFound("\(request.method.rawValue) \(request.path.prefix(80)): no such API")
        }
    }

    private func jobRoute(_ request: HTTPRequest, _ parts: [String]) throws -> HTTPResponse {
        let job = try queue.job(parts[0])
        switch (request.method, parts.count, parts.count > 1 ? parts[1] : "") {
        case (.GET, 1, _):
            return Reply.json(job.status(position: queue.position(job)))
        case (.GET, 2, "events"):
            let stream = job.watch(position: queue.position(job)) { [queue] job in queue.cancel(job) }
            var headers = Reply.headers("text/event-stream")
            headers[HTTPHeader("X-Accel-Buffering")] = "no"
            return HTTPResponse(statusCode: .ok, headers: headers, body: HTTPBodySequence(from: stream, suggestedBufferSize: 64 << 10))
        case (.POST, 2, "cancel"), (.DELETE, 1, _):
            queue.cancel(job)
            return Reply.json(job.status(position: nil))
        case (.GET, 3, "image"):
            guard let results = job.results else { throw StudioError(.conflict, "job \(job.id) has no results (\(job.state.rawValue))") }
            let name = parts[2]
            let stem = (name as NSString).deletingPathExtension, ext = (name as NSString).pathExtension
            guard let index = Int(stem), results.images.indices.contains(index), ext == "png" || ext == "npy" else {
                throw StudioError.notFound("image \(name.prefix(40)): ask for 0-\(results.images.count - 1) .png or .npy")
            }
            return ext == "png" ? Reply.data(results.images[index], type: "image/png")
                                : Reply.data(results.imageArrays[index], type: "application/octet-stream", download: "\(job.id)-\(index).npy")
        case (.GET, 2, "mask.png"), (.GET, 2, "mask.npy"), (.GET, 2, "mask-overlay.png"):
            guard let results = job.results else { throw StudioError(.conflict, "job \(job.id) has no results (\(job.state.rawValue))") }
            switch parts[1] {
            case "mask.png": return Reply.data(results.mask, type: "image/png")
            case "mask-overlay.png": return Reply.data(results.maskOverlay, type: "image/png")
            default: return Reply.data(results.maskArray, type: "application/octet-stream", download: "\(job.id)-mask.npy")
            }
        default:
            throw StudioError.notFound("\(request.method.rawValue) \(request.path.prefix(80)): no such job API")
        }
    }

    /// A mask file coloured in the run's palette: integer labels, or a grey grid scaled over the classes.
    private func overlay(_ request: HTTPRequest) throws -> HTTPResponse {
        let run = try catalog.run(try query(request, "run"))
        let classes = (RunDescription.json(run)["classes"] as? [Any])?.count ?? 0
        let path = try file(try query(request, "file"))
        let grid = request.query["kind"] == "grid"
        // A libtorch failure here is this request's error, not the end of the server.
        let png = try Engine.catching { () throws -> Data in
            let raw = try MaskImages.decode(path)
            let labels: Tensor
            if grid {
                labels = MaskImages.gridLabels(raw, classes: classes)
            } else {
                guard let plane = raw.labelPlane() else { throw StudioError.badRequest("the mask has colour pixels; masks are grey label maps") }
                labels = plane
            }
            return try MaskImages.overlayPNG(labels, classes: classes)
        }
        return Reply.data(png, type: "image/png")
    }

    private func modelSize(_ run: RunCatalog.Run) throws -> Int {
        guard let size = RunDescription.json(run)["image_size"] as? Int, size > 0, size <= MaskImages.maximumSide else {
            throw StudioError.badRequest("run \(run.id): unet/config.json has no usable sample_size")
        }
        return size
    }

    /// A served file id, `<runs folder index>:<path>` or `data:<path>`, as a resolved path to an
    /// image file inside that folder.
    private func file(_ id: String) throws -> String {
        let parts = id.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw StudioError.badRequest("file id \"\(id.prefix(80))\" is not of the form <folder>:<path>") }
        let folder: ServedFolder
        if parts[0] == "data", let data {
            folder = data.folder
        } else if let index = Int(parts[0]), catalog.folders.indices.contains(index) {
            folder = catalog.folders[index]
        } else {
            throw StudioError.badRequest("file id \"\(id.prefix(80))\" names no served folder")
        }
        let path = try folder.resolve(String(parts[1]))
        guard ["png", "jpg", "jpeg", "npy"].contains((path as NSString).pathExtension.lowercased()) else {
            throw StudioError.forbidden("\(parts[1].prefix(80)): only images (PNG, JPEG, NPY) are served")
        }
        var directory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &directory), !directory.boolValue else {
            throw StudioError.notFound("\(parts[1].prefix(80)): not a file")
        }
        return path
    }

    private func query(_ request: HTTPRequest, _ name: String) throws -> String {
        guard let value = request.query[name], !value.isEmpty else { throw StudioError.badRequest("query parameter \(name) missing") }
        return value
    }

    /// The body, read up to the cap: a bigger one is refused (413) before it is all in memory.
    private func readBody(_ request: HTTPRequest) async throws -> Data {
        if let count = request.bodySequence.count, count > Self.maximumBody {
            throw StudioError(.payloadTooLarge, "request body of \(count) bytes; the studio takes at most \(Self.maximumBody)")
        }
        var body = Data()
        for try await chunk in request.bodySequence {
            body.append(chunk)
            if body.count > Self.maximumBody {
                throw StudioError(.payloadTooLarge, "request body over \(Self.maximumBody) bytes")
            }
        }
        return body
    }
}

/// A folder or address the studio cannot start with: one line, exit status 2.
public struct StudioSetupError: Error, CustomStringConvertible {
    public let description: String
}
