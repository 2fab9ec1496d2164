import FlyingFox
import Foundation

/// Who may use the studio. On a loopback address only this machine can connect, and requests must
/// name a local Host (a web page elsewhere cannot reach it through a DNS name that resolves to
/// 127.0.0.1). On any other address every request must carry the token printed at start: the
/// `X-Studio-Token` header, `Authorization: Bearer`, the `studio_token` cookie, or `?token=`.
struct AccessGate: Sendable {
    /// Nil on loopback.
    let token: String?

    static let cookieName = "studio_token"
    static let loopbackHosts: Set<String> = ["127.0.0.1", "localhost", "::1"]

    init(host: String) {
        token = Self.loopbackHosts.contains(host) ? nil : Self.newToken()
    }

    /// 32 random bytes as hex, from the system's generator.
    static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Nil when the request may go on; else why not.
    func refusal(_ request: HTTPRequest) -> StudioError? {
        guard let token else {
            if let host = request.headers[.host], !Self.loopbackHosts.contains(Self.hostName(host)) {
                return StudioError.forbidden("Host \(host.prefix(80)) refused; the studio answers only to 127.0.0.1 or localhost")
            }
            return nil
        }
        let given = Self.presentedToken(request)
        guard let given, Self.constantTimeEqual(given, token) else {
            return StudioError(.unauthorized, given == nil ? "access token missing; open the address the studio printed (it carries ?token=)"
                                                           : "access token wrong; open the address the studio printed")
        }
        return nil
    }

    /// Whether the token came in the query, so the page's reply should set it as a cookie for the
    /// requests the page makes itself (images, event streams).
    func tokenInQuery(_ request: HTTPRequest) -> Bool { token != nil && request.query["token"] != nil }

    var cookie: String? { token.map { "\(Self.cookieName)=\($0); Path=/; HttpOnly; SameSite=Strict" } }

    static func presentedToken(_ request: HTTPRequest) -> String? {
        if let header = request.headers[HTTPHeader("X-Studio-Token")] { return header }
        if let authorization = request.headers[.authorization], authorization.hasPrefix("Bearer ") {
            return String(authorization.dropFirst(7))
        }
        if let cookies = request.headers[.cookie] {
            for pair in cookies.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == cookieName { return String(parts[1]) }
            }
        }
        return request.query["token"]
    }

    /// The host of a Host header, without its port (IPv6 in brackets).
    static func hostName(_ header: String) -> String {
        if header.hasPrefix("["), let end = header.firstIndex(of: "]") {
            return String(header[header.index(after: header.startIndex)..<end])
        }
        return String(header.split(separator: ":", maxSplits: 1).first ?? "").lowercased()
    }

    private static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
