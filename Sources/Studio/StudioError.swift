import FlyingFox
import Foundation

/// A request the studio refuses: its status and a one-line reason, sent as `{"error": reason}`.
/// Every malformed or forbidden request ends as one of these, never as a stopped server.
public struct StudioError: Error, CustomStringConvertible, Sendable {
    public let status: HTTPStatusCode
    public let reason: String
    public var description: String { "\(status.code) \(reason)" }

    public init(_ status: HTTPStatusCode, _ reason: String) {
        self.status = status
        // One line: a reason quoting a hostile path must not break the response's framing or a log.
        self.reason = reason.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
    }

    static func badRequest(_ reason: String) -> StudioError { StudioError(.badRequest, reason) }
    static func notFound(_ reason: String) -> StudioError { StudioError(.notFound, reason) }
    static func forbidden(_ reason: String) -> StudioError { StudioError(.forbidden, reason) }
}

/// The studio's response shapes: JSON, files, errors.
enum Reply {
    static func json(_ object: Any, status: HTTPStatusCode = .ok) -> HTTPResponse {
        let body = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
        return HTTPResponse(statusCode: status, headers: headers("application/json"), body: body)
    }

    static func error(_ error: StudioError) -> HTTPResponse {
        json(["error": error.reason], status: error.status)
    }

    static func data(_ data: Data, type: String, download: String? = nil) -> HTTPResponse {
        var response = HTTPResponse(statusCode: .ok, headers: headers(type), body: data)
        if let download {
            response.headers[HTTPHeader("Content-Disposition")] = "attachment; filename=\"\(download)\""
        }
        return response
    }

    /// What every response carries: its type, no caching of API answers (jobs and runs change), and
    /// no sniffing or framing, as the page is the only client meant to read them.
    static func headers(_ type: String) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers[.contentType] = type
        headers[HTTPHeader("Cache-Control")] = "no-store"
        headers[HTTPHeader("X-Content-Type-Options")] = "nosniff"
        headers[HTTPHeader("X-Frame-Options")] = "DENY"
        return headers
    }

    /// The content type of a file served by name.
    static func contentType(_ path: String) -> String {
        switch (path as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "png": "image/png"
        case "jpg", "jpeg": "image/jpeg"
        case "json": "application/json"
        default: "application/octet-stream"
        }
    }
}
