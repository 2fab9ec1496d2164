import Foundation

/// Colours for label maps of any class count: background black, then the Okabe-Ito colours (distinct
/// also for colour-blind readers), then hues spaced by the golden angle for further classes.
public enum MaskPalette {
    public struct Colour: Equatable, Hashable, Sendable {
        public let red: UInt8, green: UInt8, blue: UInt8

        public init(red: UInt8, green: UInt8, blue: UInt8) {
            self.red = red
            self.green = green
            self.blue = blue
        }
    }

    private static let fixed: [Colour] = [
        Colour(red: 0, green: 0, blue: 0),
        Colour(red: 230, green: 159, blue: 0),
        Colour(red: 86, green: 180, blue: 233),
        Colour(red: 0, green: 158, blue: 115),
        Colour(red: 240, green: 228, blue: 66),
        Colour(red: 0, green: 114, blue: 178),
        Colour(red: 213, green: 94, blue: 0),
        Colour(red: 204, green: 121, blue: 167),
        Colour(red: 255, green: 255, blue: 255),
    ]

    public static func colour(_ label: Int) -> Colour {
        if label >= 0 && label < fixed.count { return fixed[label] }
        let hue = (Double(label - fixed.count) * 0.381966 + 0.05).truncatingRemainder(dividingBy: 1)
        return hsv(hue, saturation: 0.7, value: 0.95)
    }

    private static func hsv(_ hue: Double, saturation: Double, value: Double) -> Colour {
        let sector = hue * 6, index = Int(sector) % 6, fraction = sector - Double(Int(sector))
        let p = value * (1 - saturation), q = value * (1 - saturation * fraction), t = value * (1 - saturation * (1 - fraction))
        let (r, g, b) = [(value, t, p), (q, value, p), (p, value, t), (p, q, value), (t, p, value), (value, p, q)][index]
        func byte(_ x: Double) -> UInt8 { UInt8((x * 255).rounded()) }
        return Colour(red: byte(r), green: byte(g), blue: byte(b))
    }
}
