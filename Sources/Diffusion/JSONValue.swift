/// A JSON scalar, written the way Python's `json.dumps` writes it, so files that diffusers would
/// write come out byte-identical (it matters to people who diff checkpoints).
enum JSONValue: Equatable {
    case string(String)
    case int(Int)
    case double(Double)
    case bool(Bool)
    case null

    /// `json.dumps(entries, indent=2, sort_keys=True) + "\n"`, diffusers' `to_json_string`.
    static func pythonStyle(_ entries: [String: JSONValue]) -> String {
        let lines = entries.keys.sorted().map { key in "  \(quoted(key)): \(entries[key]!.text)" }
        return "{\n" + lines.joined(separator: ",\n") + "\n}\n"
    }

    var text: String {
        switch self {
        case .string(let s): Self.quoted(s)
        case .int(let i): String(i)
        case .double(let d): Self.pythonFloat(d)
        case .bool(let b): b ? "true" : "false"
        case .null: "null"
        }
    }

    /// Python's float repr: shortest round-trip digits, like Swift's, but "Infinity"/"NaN" spelled
    /// as json.dumps spells them.
    private static func pythonFloat(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        return "\(d)"
    }

    /// json.dumps' default ensure_ascii quoting.
    private static func quoted(_ s: String) -> String {
        var out = "\""
        for unit in s.unicodeScalars {
            switch unit {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where unit.value < 0x20 || unit.value > 0x7e:
                for utf16 in String(unit).utf16 { out += "\\u" + String(format16: utf16) }
            default: out.unicodeScalars.append(unit)
            }
        }
        return out + "\""
    }
}

private extension String {
    /// Four lowercase hex digits, as Python's json escapes.
    init(format16 value: UInt16) {
        let hex = String(value, radix: 16)
        self = String(repeating: "0", count: 4 - hex.count) + hex
    }
}
