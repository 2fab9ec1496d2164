import Foundation

/// A one-line progress display on a terminal (step/total, smoothed loss, lr, it/s, ETA), redrawn in
/// place at most ten times a second; when stderr is not a terminal, one plain line per finish().
public final class ProgressBar {
    private let label: String
    private let total: Int
    private let interactive: Bool
    /// What one step is, for the rate ("it/s", "images/s").
    private let unit: String
    private let start = Date()
    private var lastDraw = Date.distantPast
    private var current = 0
    private var fields: [(String, String)] = []

    public init(_ label: String, total: Int, unit: String = "it", interactive: Bool = isatty(STDERR_FILENO) == 1) {
        self.label = label
        self.total = total
        self.unit = unit
        self.interactive = interactive
    }

    /// Advances to `step` (1-based) with the given named values.
    public func update(step: Int, _ values: [(String, String)]) {
        current = step
        fields = values
        guard interactive, step == total || Date().timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = Date()
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line()).utf8))
    }

    /// Ends the bar: a newline on a terminal, the final line elsewhere.
    public func finish() {
        FileHandle.standardError.write(Data(((interactive ? "\r\u{1B}[K" : "") + line() + "\n").utf8))
    }

    private func line() -> String {
        let elapsed = Date().timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(current) / elapsed : 0
        let remaining = rate > 0 ? Double(total - current) / rate : 0
        let width = 24
        let filled = total > 0 ? min(width, current * width / total) : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        var parts = ["\(label) [\(bar)] \(current)/\(total)"]
        parts += fields.map { "\($0.0) \($0.1)" }
        parts.append(String(format: "%.2f", rate) + " \(unit)/s")
        parts.append(current < total ? "ETA \(Self.clock(remaining))" : "took \(Self.clock(elapsed))")
        return parts.joined(separator: "  ")
    }

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                         : String(format: "%d:%02d", s / 60, s % 60)
    }
}
