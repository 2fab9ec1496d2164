import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// HTTP/1.1 over a plain socket: requests exactly as written (hostile paths and malformed bytes
/// are sent as they are, which URLSession would normalise or refuse), responses read to the end.
struct RawHTTP {
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: Data

        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let host: String
    let port: Int
    /// Added to every request (a token, a cookie).
    var extraHeaders: [String: String] = [:]

    func get(_ target: String, headers: [String: String] = [:]) throws -> Response {
        try send("GET", target, headers: headers)
    }

    func post(_ target: String, json: Any, headers: [String: String] = [:]) throws -> Response {
        try send("POST", target, headers: headers.merging(["Content-Type": "application/json"]) { $1 },
                 body: try JSONSerialization.data(withJSONObject: json))
    }

    func send(_ method: String, _ target: String, headers: [String: String] = [:], body: Data = Data()) throws -> Response {
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        for (name, value) in extraHeaders.merging(headers, uniquingKeysWith: { $1 }) { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        let connection = try Connection(host: host, port: port)
        try connection.write(Data((head + "\r\n").utf8) + body)
        return try Self.parse(try connection.readResponse())
    }

    /// Sends bytes as they are and returns what comes back: one whole response (by its
    /// Content-Length), or whatever arrived before the server closed or the timeout.
    func raw(_ bytes: Data, timeout: TimeInterval = 5) throws -> Data {
        let connection = try Connection(host: host, port: port, timeout: timeout)
        try? connection.write(bytes)
        return (try? connection.readResponse()) ?? Data()
    }

    static func parse(_ data: Data) throws -> Response {
        guard let end = data.range(of: Data("\r\n\r\n".utf8)) else {
            throw Failure(description: "no complete response head in \(data.count) bytes")
        }
        let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusWords = head.first?.split(separator: " ") ?? []
        guard statusWords.count >= 2, let status = Int(statusWords[1]) else { throw Failure(description: "bad status line \(head.first ?? "")") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        var body = Data(data[end.upperBound...])
        if headers["transfer-encoding"]?.contains("chunked") == true { body = dechunked(body) }
        return Response(status: status, headers: headers, body: body)
    }

    static func dechunked(_ data: Data) -> Data {
        var output = Data()
        var index = data.startIndex
        while let lineEnd = data[index...].range(of: Data("\r\n".utf8)) {
            let sizeText = String(decoding: data[index..<lineEnd.lowerBound], as: UTF8.self)
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard start + size <= data.endIndex else { output += data[start...]; break }
            output += data[start..<start + size]
            index = start + size + 2
            if index > data.endIndex { break }
        }
        return output
    }

    /// One TCP connection with a receive timeout.
    final class Connection {
        let socket: Int32

        init(host: String, port: Int, timeout: TimeInterval = 60) throws {
            socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socket >= 0 else { throw Failure(description: "socket() failed") }
            var time = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - Double(Int(timeout))) * 1e6))
            setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            inet_pton(AF_INET, host, &address.sin_addr)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                close(socket)
                throw Failure(description: "cannot connect to \(host):\(port) (errno \(errno))")
            }
        }

        deinit { close(socket) }

        /// Ends the connection at once, as a closed browser tab does.
        func shutdownNow() { shutdown(socket, Int32(SHUT_RDWR)) }

        func write(_ data: Data) throws {
            var sent = 0
            while sent < data.count {
                let count = data.withUnsafeBytes { Glibc.send(socket, $0.baseAddress! + sent, data.count - sent, Int32(MSG_NOSIGNAL)) }
                guard count > 0 else { throw Failure(description: "send failed (errno \(errno))") }
                sent += count
            }
        }

        /// The next bytes (nil at the end of the stream); throws on timeout.
        func read() throws -> Data? {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(socket, &buffer, buffer.count, 0)
            if count == 0 { return nil }
            guard count > 0 else { throw Failure(description: "receive failed or timed out (errno \(errno))") }
            return Data(buffer[0..<count])
        }

        /// One response: up to its Content-Length, or to the end of the stream (chunked or closing).
        /// What arrived before an error or timeout is returned when there is any.
        func readResponse() throws -> Data {
            var data = Data()
            do {
                while let chunk = try read() {
                    data += chunk
                    if let end = data.range(of: Data("\r\n\r\n".utf8)), let response = try? RawHTTP.parse(data),
                       let length = response.headers["content-length"].flatMap(Int.init), data.count - end.upperBound >= length {
                        break
                    }
                }
            } catch {
                if data.isEmpty { throw error }
            }
            return data
        }
    }
}

/// A server-sent event stream read as it arrives (chunked framing decoded as bytes come in).
final class EventReader {
    let connection: RawHTTP.Connection
    private(set) var status: Int?
    private var raw = Data()
    private var text = ""
    private var ended = false

    init(_ client: RawHTTP, path: String, timeout: TimeInterval = 60) throws {
        connection = try RawHTTP.Connection(host: client.host, port: client.port, timeout: timeout)
        var head = "GET \(path) HTTP/1.1\r\nHost: \(client.host):\(client.port)\r\nAccept: text/event-stream\r\n"
        for (name, value) in client.extraHeaders { head += "\(name): \(value)\r\n" }
        try connection.write(Data((head + "\r\n").utf8))
    }

    /// The next event (name, JSON data), skipping pings; nil when the stream ends.
    func next() throws -> (name: String, data: [String: Any])? {
        while true {
            if let range = text.range(of: "\n\n") {
                let block = String(text[..<range.lowerBound])
                text.removeSubrange(..<range.upperBound)
                var name: String?, payload = ""
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
                    if line.hasPrefix("data: ") { payload = String(line.dropFirst(6)) }
                }
                guard let name else { continue }
                let data = (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) as? [String: Any] ?? [:]
                return (name, data)
            }
            if ended { return nil }
            guard let chunk = try connection.read() else { ended = true; continue }
            raw += chunk
            decode()
        }
    }

    private func decode() {
        let crlf = Data("\r\n".utf8)
        if status == nil {
            guard let end = raw.range(of: Data("\r\n\r\n".utf8)) else { return }
            let line = String(decoding: raw[..<end.lowerBound], as: UTF8.self).split(separator: " ")
            status = line.count > 1 ? Int(line[1]) : 0
            raw = Data(raw[end.upperBound...])
        }
        while let lineEnd = raw.range(of: crlf) {
            guard let size = Int(String(decoding: raw[raw.startIndex..<lineEnd.lowerBound], as: UTF8.self), radix: 16) else { ended = true; return }
            if size == 0 { ended = true; return }
            guard raw.count - (lineEnd.upperBound - raw.startIndex) >= size + 2 else { return }
            text += String(decoding: raw[lineEnd.upperBound..<lineEnd.upperBound + size], as: UTF8.self)
            raw = Data(raw[(lineEnd.upperBound + size + 2)...])
        }
    }

    func close() { connection.shutdownNow() }
}
