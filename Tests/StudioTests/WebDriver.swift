import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Debian's chromium driven headless through chromedriver, over WebDriver's HTTP JSON protocol.
final class WebDriver {
    static let chromium = "/usr/bin/chromium"
    static let chromedriver = "/usr/bin/chromedriver"
    static var installed: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver)
    }

    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    let driver = Process()
    let client: RawHTTP
    private(set) var session = ""

    init(width: Int = 1300, height: Int = 950) throws {
        let port = try freeLoopbackPort()
        driver.executableURL = URL(fileURLWithPath: Self.chromedriver)
        driver.arguments = ["--port=\(port)"]
        driver.standardOutput = FileHandle.nullDevice
        driver.standardError = FileHandle.nullDevice
        try driver.run()
        client = RawHTTP(host: "127.0.0.1", port: port)
        let deadline = Date().addingTimeInterval(20)
        while (try? client.get("/status").status) != 200 {
            guard Date() < deadline, driver.isRunning else { throw RawHTTP.Failure(description: "chromedriver did not start") }
            Thread.sleep(forTimeInterval: 0.1)
        }
        // As root (CI), chromium runs only without its sandbox; no GPU in a container.
        let options: [String: Any] = ["binary": Self.chromium,
                                      "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                               "--window-size=\(width),\(height)"]]
        let created = try command("POST", "/session", ["capabilities": ["alwaysMatch": ["browserName": "chrome", "goog:chromeOptions": options]]])
        guard let id = (created as? [String: Any])?["sessionId"] as? String else {
            throw RawHTTP.Failure(description: "no WebDriver session: \(String(describing: created))")
        }
        session = id
    }

    deinit {
        if !session.isEmpty { _ = try? command("DELETE", "/session/\(session)", nil) }
        // SIGKILL: a test runner may start its children with SIGTERM blocked.
        if driver.isRunning { kill(driver.processIdentifier, SIGKILL) }
        driver.waitUntilExit()
    }

    /// One WebDriver command; returns its `value`, or throws with the driver's error message.
    @discardableResult
    func command(_ method: String, _ path: String, _ body: Any? = [String: Any]()) throws -> Any? {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        let response = try client.send(method, path, headers: body == nil ? [:] : ["Content-Type": "application/json"], body: data)
        let value = response.json["value"]
        if response.status != 200 {
            let message = (value as? [String: Any])?["message"] as? String ?? response.text
            throw RawHTTP.Failure(description: "WebDriver \(method) \(path): \(response.status) \(message.prefix(300))")
        }
        return value
    }

    func open(_ url: URL) throws { try command("POST", "/session/\(session)/url", ["url": url.absoluteString]) }

    func execute(_ script: String, _ arguments: [Any] = []) throws -> Any? {
        try command("POST", "/session/\(session)/execute/sync", ["script": script, "args": arguments])
    }

    /// Polls a script until it returns true.
    func wait(for script: String, timeout: TimeInterval, _ what: String) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while (try execute(script) as? Bool) != true {
            guard Date() < deadline else { throw RawHTTP.Failure(description: "timed out waiting for \(what)") }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    func element(_ selector: String) throws -> [String: String] {
        let value = try command("POST", "/session/\(session)/element", ["using": "css selector", "value": selector])
        guard let id = (value as? [String: Any])?[Self.elementKey] as? String else { throw RawHTTP.Failure(description: "no element \(selector)") }
        return [Self.elementKey: id]
    }

    func click(_ selector: String) throws {
        let reference = try element(selector)
        try command("POST", "/session/\(session)/element/\(reference[Self.elementKey]!)/click")
    }

    /// A mouse stroke with the left button between two points given relative to the element's centre.
    func stroke(on selector: String, from start: (Int, Int), to end: (Int, Int)) throws {
        let origin = try element(selector)
        let moves: [[String: Any]] = [
            ["type": "pointerMove", "origin": origin, "x": start.0, "y": start.1, "duration": 0],
            ["type": "pointerDown", "button": 0],
            ["type": "pointerMove", "origin": origin, "x": (start.0 + end.0) / 2, "y": (start.1 + end.1) / 2, "duration": 100],
            ["type": "pointerMove", "origin": origin, "x": end.0, "y": end.1, "duration": 100],
            ["type": "pointerUp", "button": 0],
        ]
        try command("POST", "/session/\(session)/actions",
                    ["actions": [["type": "pointer", "id": "mouse", "parameters": ["pointerType": "mouse"], "actions": moves]]])
    }

    func screenshot() throws -> Data {
        guard let base64 = try command("GET", "/session/\(session)/screenshot", nil) as? String, let data = Data(base64Encoded: base64) else {
            throw RawHTTP.Failure(description: "no screenshot")
        }
        return data
    }
}
