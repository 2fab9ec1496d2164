import Foundation

/// Named CT windows in Hounsfield units, for `--window NAME` beside `--window LOW,HIGH`. Each is the
/// radiology reading window of that name (level L and width W give L - W/2 ... L + W/2).
public enum IntensityWindowPreset: String, CaseIterable, Sendable {
    case brain, subdural, stroke, lung, mediastinum, abdomen, liver, bone

    /// (level, width) in HU.
    public var levelWidth: (level: Double, width: Double) {
        switch self {
        case .brain: (40, 80)
        case .subdural: (75, 215)
        case .stroke: (40, 40)
        case .lung: (-600, 1500)
        case .mediastinum: (50, 350)
        case .abdomen: (50, 400)
        case .liver: (30, 150)
        case .bone: (400, 1800)
        }
    }

    public var bounds: (low: Double, high: Double) {
        let (level, width) = levelWidth
        return (level - width / 2, level + width / 2)
    }

    /// `--window` text: a preset name or LOW,HIGH. Nil when it is neither (the caller names the flag).
    public static func parse(_ text: String) -> (low: Double, high: Double)? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if let preset = IntensityWindowPreset(rawValue: trimmed) { return preset.bounds }
        let parts = trimmed.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count == 2, let low = parts[0], let high = parts[1], low.isFinite, high.isFinite, low < high else { return nil }
        return (low, high)
    }

    /// The presets as the help text lists them: "brain (0,80), ...".
    public static var listing: String {
        allCases.map { preset in
            let (low, high) = preset.bounds
            return "\(preset.rawValue) (\(String(format: "%g", low)),\(String(format: "%g", high)))"
        }.joined(separator: ", ")
    }
}
