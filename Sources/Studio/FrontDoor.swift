import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The TCP socket the browser talks to. It reads each request's head itself, within limits
/// (16 KB, 100 header lines, 10 s), answers a malformed or oversized one with a 4xx and a one-line
/// reason, and passes a well-formed one, marked `Connection: close`, to the HTTP server on a private
/// Unix socket, then relays both ways until either side ends.
///
/// Why: FlyingFox reads request lines and headers a byte at a time with no length limit, and its
/// cost grows with the square of a line's length (a 40 KB line kept the whole server busy for most
/// of a minute), and it closes on malformed framing without a response. One request per connection
/// lets this door see every head.
final class FrontDoor: @unchecked Sendable {
    static let maximumHead = 16 << 10
    static let maximumHeaderLines = 100
    static let headTimeout = 10
    /// Connections relayed at once; more wait in the kernel's backlog.
    static let maximumConnections = 256

    let port: UInt16
    private let listener: Int32
    private let backend: sockaddr_un
    private let count = NSLock()
    private var open = 0

    /// Binds `host:port` (numeric IPv4 or IPv6, or localhost) for the server listening at the
    /// abstract Unix socket `backend`.
    init(host: String, port: UInt16, backend: sockaddr_un) throws {
        self.backend = backend
        let six = host.contains(":")
        let listener = socket(six ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        guard listener >= 0 else { throw StudioSetupError(description: "cannot create a socket (errno \(errno))") }
        var yes: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        let bound: Int32
        if six {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            guard inet_pton(AF_INET6, host, &address.sin6_addr) == 1 else {
                close(listener)
                throw StudioSetupError(description: "--host \(host) is not a numeric IPv4 or IPv6 address (or localhost)")
            }
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
                close(listener)
                throw StudioSetupError(description: "--host \(host) is not a numeric IPv4 or IPv6 address (or localhost)")
            }
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard bound == 0, listen(listener, SOMAXCONN) == 0 else {
            let reason = String(cString: strerror(errno))
            close(listener)
            throw StudioSetupError(description: "--host \(host) --port \(port): cannot listen (\(reason)); choose another port with --port")
        }
        var address = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.port = withUnsafePointer(to: &address) { pointer in
            six ? UInt16(bigEndian: pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { $0.pointee.sin6_port })
                : UInt16(bigEndian: pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_port })
        }
    }

    /// Accepts connections on a thread of its own, each relayed on threads of their own.
    func start() {
        let thread = Thread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                guard client >= 0 else {
                    if errno != EINTR { Thread.sleep(forTimeInterval: 0.05) }
                    continue
                }
                let admitted = count.withLock { () -> Bool in
                    guard open < Self.maximumConnections else { return false }
                    open += 1
                    return true
                }
                guard admitted else {
                    Self.refuse(client, 503, "Service Unavailable", "too many connections; try again")
                    continue
                }
                Thread { [self] in
                    serve(client)
                    count.withLock { open -= 1 }
                }.start()
            }
        }
        thread.name = "studio-front-door"
        thread.start()
    }

    private func serve(_ client: Int32) {
        setTimeout(client, seconds: Self.headTimeout)
        var received = [UInt8]()
        var headEnd: Int?
        var buffer = [UInt8](repeating: 0, count: 4096)
        while headEnd == nil {
            let read = recv(client, &buffer, buffer.count, 0)
            if read == 0 { close(client); return }
            if read < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK {
                    Self.refuse(client, 408, "Request Timeout", "the request head did not arrive within \(Self.headTimeout) s")
                } else {
                    close(client)
                }
                return
            }
            let searchFrom = max(0, received.count - 3)
            received += buffer[0..<read]
            headEnd = Self.find([13, 10, 13, 10], in: received, from: searchFrom)
            if headEnd == nil, received.count > Self.maximumHead {
                Self.refuse(client, 431, "Request Header Fields Too Large", "request head over \(Self.maximumHead / 1024) KB")
                return
            }
        }
        let end = headEnd!
        guard end <= Self.maximumHead else {
            Self.refuse(client, 431, "Request Header Fields Too Large", "request head over \(Self.maximumHead / 1024) KB")
            return
        }
        let head: String
        switch Self.checkedHead(Array(received[0..<end])) {
        case .success(let text): head = text
        case .failure(let refusal):
            Self.refuse(client, refusal.status, refusal.phrase, refusal.reason)
            return
        }
        setTimeout(client, seconds: 0)
        let server = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = backend
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(server, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard server >= 0, connected == 0 else {
            if server >= 0 { close(server) }
            Self.refuse(client, 503, "Service Unavailable", "the studio's server is not answering")
            return
        }
        let forwarded = Array((head + "\r\nConnection: close\r\n\r\n").utf8) + received[(end + 4)...]
        guard Self.writeAll(server, forwarded) else {
            close(server)
            close(client)
            return
        }
        // The body and anything after it to the server; the response back until it ends.
        let upstreamDone = DispatchSemaphore(value: 0)
        Thread {
            Self.relay(from: client, to: server)
            shutdown(server, Int32(SHUT_WR))
            upstreamDone.signal()
        }.start()
        Self.relay(from: server, to: client)
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(server, Int32(SHUT_RDWR))
        upstreamDone.wait()
        close(server)
        close(client)
    }

    struct Refusal: Error {
        let status: Int
        let phrase: String
        let reason: String
    }

    /// The head without its final blank line, checked: a request line `METHOD /target HTTP/1.x`
    /// and `Name: value` header lines, at most `maximumHeaderLines`; returned without the
    /// connection headers, which the door sets itself.
    static func checkedHead(_ bytes: [UInt8]) -> Result<String, Refusal> {
        func bad(_ reason: String) -> Result<String, Refusal> { .failure(Refusal(status: 400, phrase: "Bad Request", reason: reason)) }
        guard let text = String(bytes: bytes, encoding: .utf8), !text.contains("\0") else { return bad("request head is not text") }
        let lines = text.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, (1...16).contains(parts[0].count), parts[0].allSatisfy({ $0.isASCII && $0.isUppercase }),
              parts[1].hasPrefix("/"), !parts[1].contains(where: { $0.isWhitespace || ($0.asciiValue ?? 32) < 32 }),
              parts[2] == "HTTP/1.1" || parts[2] == "HTTP/1.0" else {
            return bad("malformed request line; expected METHOD /path HTTP/1.1")
        }
        guard lines.count - 1 <= maximumHeaderLines else {
            return .failure(Refusal(status: 431, phrase: "Request Header Fields Too Large", reason: "more than \(maximumHeaderLines) header lines"))
        }
        var kept = [lines[0]]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex,
                  line[..<colon].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "!#$%&'*+-.^_`|~".contains($0)) }) else {
                return bad("malformed header line")
            }
            let name = line[..<colon].lowercased()
            if ["connection", "keep-alive", "proxy-connection"].contains(name) { continue }
            kept.append(line)
        }
        return .success(kept.joined(separator: "\r\n"))
    }

    /// A 4xx or 5xx with a one-line JSON reason; then the rest of what the client sends is read
    /// for a moment, so that closing does not reset the connection before the answer is read.
    private static func refuse(_ client: Int32, _ status: Int, _ phrase: String, _ reason: String) {
        let body = (try? JSONSerialization.data(withJSONObject: ["error": reason])) ?? Data()
        let head = "HTTP/1.1 \(status) \(phrase)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\nCache-Control: no-store\r\n\r\n"
        _ = writeAll(client, Array(head.utf8) + Array(body))
        shutdown(client, Int32(SHUT_WR))
        setTimeout(client, seconds: 1)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var drained = 0
        while drained < 1 << 20 {
            let read = recv(client, &buffer, buffer.count, 0)
            if read <= 0 { break }
            drained += read
        }
        close(client)
    }

    private static func relay(from source: Int32, to destination: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let read = recv(source, &buffer, buffer.count, 0)
            if read <= 0 { return }
            guard writeAll(destination, Array(buffer[0..<read])) else { return }
        }
    }

    private static func writeAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let written = bytes.withUnsafeBytes { send(socket, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            sent += written
        }
        return true
    }

    private func setTimeout(_ socket: Int32, seconds: Int) { Self.setTimeout(socket, seconds: seconds) }

    private static func setTimeout(_ socket: Int32, seconds: Int) {
        var time = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
    }

    private static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        var index = start
        while index + pattern.count <= bytes.count {
            if bytes[index] == pattern[0], Array(bytes[index..<index + pattern.count]) == pattern { return index }
            index += 1
        }
        return nil
    }
}
