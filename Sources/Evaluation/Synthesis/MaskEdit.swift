import Foundation
import Training

/// One `--edit` of `segmadiff synthesize`: `NAME[:KEY=VALUE,...]`, applied to a sample's mask with
/// probability `p` (default 1) before the image is sampled from it (docs/synthesize.md).
///
///     flip:axis=x            mirror left-right (axis=y: top-bottom)
///     affine:rotate=10,scale=0.1,shift=0.05
///                            rotation in ±rotate degrees, zoom in 1±scale, shift in ±shift of the side
///     elastic:alpha=2,grid=8 smooth displacements up to alpha pixels, varying over grid pixels
///     remove:class=K         class K becomes background
///     grow:class=K,px=2      class K grows by px pixels (a number or a range A..B)
///     shrink:class=K,px=2    class K shrinks by px pixels; what surrounds it fills the rim
///     move:class=K,dx=-4..4,dy=-4..4
///                            class K moves by (dx, dy) pixels; what surrounds it fills the hole
public struct MaskEdit: Sendable, Equatable {
    public enum Operation: Sendable, Equatable {
        case flip(vertical: Bool)
        case affine(rotate: Double, scale: Double, shift: Double)
        case elastic(alpha: Double, grid: Double)
        case remove(label: Int)
        case grow(label: Int, pixels: PixelRange)
        case shrink(label: Int, pixels: PixelRange)
        case move(label: Int, dx: PixelRange, dy: PixelRange)
    }

    public let operation: Operation
    /// The chance that the edit is applied to a sample.
    public let probability: Double

    public init(_ operation: Operation, probability: Double = 1) {
        self.operation = operation
        self.probability = probability
    }

    public var name: String {
        switch operation {
        case .flip: "flip"
        case .affine: "affine"
        case .elastic: "elastic"
        case .remove: "remove"
        case .grow: "grow"
        case .shrink: "shrink"
        case .move: "move"
        }
    }

    /// The class an edit works on, for the edits that work on one.
    public var label: Int? {
        switch operation {
        case .remove(let label), .grow(let label, _), .shrink(let label, _), .move(let label, _, _): label
        default: nil
        }
    }

    /// The edit with every parameter spelt out, defaults included: what manifest.json records and a
    /// resumed run compares, so `flip` and `flip:axis=x,p=1` are the same edit.
    public var spec: String {
        let parameters: [String] = switch operation {
        case .flip(let vertical): ["axis=\(vertical ? "y" : "x")"]
        case .affine(let rotate, let scale, let shift): ["rotate=\(Self.number(rotate))", "scale=\(Self.number(scale))", "shift=\(Self.number(shift))"]
        case .elastic(let alpha, let grid): ["alpha=\(Self.number(alpha))", "grid=\(Self.number(grid))"]
        case .remove(let label): ["class=\(label)"]
        case .grow(let label, let pixels), .shrink(let label, let pixels): ["class=\(label)", "px=\(pixels)"]
        case .move(let label, let dx, let dy): ["class=\(label)", "dx=\(dx)", "dy=\(dy)"]
        }
        return "\(name):" + (parameters + ["p=\(Self.number(probability))"]).joined(separator: ",")
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}

/// A whole number of pixels, or a range `A..B` drawn from uniformly per sample.
public struct PixelRange: Sendable, Equatable, CustomStringConvertible {
    public let range: ClosedRange<Int>

    public init(_ range: ClosedRange<Int>) { self.range = range }

    public init?(_ text: String) {
        let parts = text.components(separatedBy: "..")
        let values = parts.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard values.count == parts.count, values.count == 1 || values.count == 2, values.first! <= values.last! else { return nil }
        range = values.first!...values.last!
    }

    public var description: String { range.count == 1 ? "\(range.lowerBound)" : "\(range.lowerBound)..\(range.upperBound)" }
}
