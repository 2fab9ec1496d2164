import Foundation
import Training

extension MaskEdit {
    public static let names = ["flip", "affine", "elastic", "remove", "grow", "shrink", "move"]

    /// Parses one `--edit` value, or throws a one-line error that names it and the fix.
    public init(parsing text: String) throws {
        let flag = "--edit \"\(text)\""
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let (name, rest) = trimmed.firstIndex(of: ":").map { (String(trimmed[..<$0]), String(trimmed[trimmed.index(after: $0)...])) } ?? (trimmed, "")
        let allowed: [String] = switch name {
        case "flip": ["axis"]
        case "affine": ["rotate", "scale", "shift"]
        case "elastic": ["alpha", "grid"]
        case "remove": ["class"]
        case "grow", "shrink": ["class", "px"]
        case "move": ["class", "dx", "dy"]
        default:
            throw UsageError("\(flag): unknown edit \"\(name)\"; use one of \(Self.names.joined(separator: ", ")) (docs/synthesize.md)")
        }
        var values: [String: String] = [:]
        for pair in rest.split(separator: ",", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[1].isEmpty else {
                throw UsageError("\(flag): \"\(pair)\" is not KEY=VALUE; write for example \(name):\(allowed[0])=...")
            }
            guard allowed.contains(parts[0]) || parts[0] == "p" else {
                throw UsageError("\(flag): \(name) has no \"\(parts[0])\"; its keys are \((allowed + ["p"]).joined(separator: ", "))")
            }
            guard values[parts[0]] == nil else { throw UsageError("\(flag): \(parts[0]) is given twice; give it once") }
            values[parts[0]] = parts[1]
        }

        func real(_ key: String, _ fallback: Double, in range: ClosedRange<Double>) throws -> Double {
            guard let text = values[key] else { return fallback }
            guard let value = Double(text), value.isFinite, range.contains(value) else {
                throw UsageError("\(flag): \(key)=\(text) must be a number from \(Self.number(range.lowerBound)) to \(Self.number(range.upperBound))")
            }
            return value
        }
        func pixels(_ key: String, _ fallback: ClosedRange<Int>, minimum: Int) throws -> PixelRange {
            guard let text = values[key] else { return PixelRange(fallback) }
            guard let value = PixelRange(text), value.range.lowerBound >= minimum, value.range.upperBound <= 4096 else {
                throw UsageError("\(flag): \(key)=\(text) must be a whole number of pixels or a range A..B (A <= B), from \(minimum) to 4096")
            }
            return value
        }
        func label() throws -> Int {
            guard let text = values["class"] else { throw UsageError("\(flag): \(name) needs the class it works on; write \(name):class=K") }
            guard let value = Int(text), value >= 1 else {
                throw UsageError("\(flag): class=\(text) must be a label of 1 or more (0 is the background)")
            }
            return value
        }

        let probability = try real("p", 1, in: 0...1)
        switch name {
        case "flip":
            let axis = values["axis"] ?? "x"
            guard axis == "x" || axis == "y" else {
                throw UsageError("\(flag): axis=\(axis) must be x (mirror left-right) or y (mirror top-bottom)")
            }
            self.init(.flip(vertical: axis == "y"), probability: probability)
        case "affine":
            self.init(.affine(rotate: try real("rotate", 10, in: 0...180), scale: try real("scale", 0.1, in: 0...0.9),
                              shift: try real("shift", 0.05, in: 0...1)), probability: probability)
        case "elastic":
            self.init(.elastic(alpha: try real("alpha", 2, in: 0...1024), grid: try real("grid", 8, in: 2...4096)), probability: probability)
        case "remove":
            self.init(.remove(label: try label()), probability: probability)
        case "grow":
            self.init(.grow(label: try label(), pixels: try pixels("px", 2...2, minimum: 0)), probability: probability)
        case "shrink":
            self.init(.shrink(label: try label(), pixels: try pixels("px", 2...2, minimum: 0)), probability: probability)
        default:
            self.init(.move(label: try label(), dx: try pixels("dx", -4...4, minimum: -4096), dy: try pixels("dy", -4...4, minimum: -4096)),
                      probability: probability)
        }
    }
}
