import Foundation

extension MaskEdit {
    /// What one edit made of a sample's maps (one per seg type, all edited alike): the new maps and
    /// the values it drew, or the reason the sample cannot be used.
    struct Outcome {
        var maps: [LabelMap]
        var drawn: [String: Double] = [:]
        var problem: String?
    }

    /// Applies the edit (its probability already decided) with the draws of `random`.
    func apply(_ maps: [LabelMap], random: inout EditRandom) -> Outcome {
        switch operation {
        case .flip(let vertical):
            return Outcome(maps: maps.map { map in
                map.resampled { x, y in vertical ? (x, Double(map.height - 1) - y) : (Double(map.width - 1) - x, y) }
            })
        case .affine(let rotate, let scale, let shift):
            let degrees = random.uniform(-rotate, rotate), zoom = random.uniform(1 - scale, 1 + scale)
            let fx = random.uniform(-shift, shift), fy = random.uniform(-shift, shift)
            return Outcome(maps: maps.map { Self.affine($0, degrees: degrees, zoom: zoom, shift: (fx * Double($0.width), fy * Double($0.height))) },
                           drawn: ["rotate_degrees": degrees, "zoom": zoom, "shift_x": fx, "shift_y": fy])
        case .elastic(let alpha, let grid):
            guard let first = maps.first else { return Outcome(maps: maps) }
            let field = DisplacementField(width: first.width, height: first.height, alpha: alpha, grid: grid, random: &random)
            return Outcome(maps: maps.map { map in map.resampled { x, y in field.source(x, y) } })
        case .remove(let label):
            return Outcome(maps: maps.map { map in
                LabelMap(width: map.width, height: map.height, labels: map.labels.map { $0 == Int64(label) ? 0 : $0 })
            })
        case .grow(let label, let pixels):
            let radius = random.integer(in: pixels.range)
            return Outcome(maps: maps.map { Self.grown($0, label: Int64(label), radius: radius) }, drawn: ["px": Double(radius)])
        case .shrink(let label, let pixels):
            let radius = random.integer(in: pixels.range)
            return Outcome(maps: maps.map { Self.shrunk($0, label: Int64(label), radius: radius) }, drawn: ["px": Double(radius)])
        case .move(let label, let dxRange, let dyRange):
            let dx = random.integer(in: dxRange.range), dy = random.integer(in: dyRange.range)
            var outcome = Outcome(maps: maps, drawn: ["dx": Double(dx), "dy": Double(dy)])
            for (index, map) in maps.enumerated() {
                guard let moved = Self.moved(map, label: Int64(label), dx: dx, dy: dy) else {
                    outcome.problem = "class \(label) would leave the image when moved by (\(dx), \(dy)) pixels"
                    return outcome
                }
                outcome.maps[index] = moved
            }
            return outcome
        }
    }

    /// Rotation by `degrees` and zoom about the centre, then a shift in pixels.
    static func affine(_ map: LabelMap, degrees: Double, zoom: Double, shift: (Double, Double)) -> LabelMap {
        let angle = degrees * .pi / 180, c = cos(angle), s = sin(angle)
        let cx = Double(map.width - 1) / 2, cy = Double(map.height - 1) / 2
        // Each output pixel reads where the inverse transform takes it.
        return map.resampled { x, y in
            let u = (x - cx - shift.0) / zoom, v = (y - cy - shift.1) / zoom
            return (cx + c * u + s * v, cy - s * u + c * v)
        }
    }

    /// The pixels within `radius` (Euclidean) of class `label` take it, whatever they held.
    static func grown(_ map: LabelMap, label: Int64, radius: Int) -> LabelMap {
        var result = map
        let offsets = discOffsets(radius)
        for (x, y) in boundary(of: map, label: label) {
            for (dx, dy) in offsets where map.contains(x: x + dx, y: y + dy) { result[x: x + dx, y: y + dy] = label }
        }
        return result
    }

    /// The pixels of class `label` within `radius` of another label give it up; the labels around
    /// them fill in (so a structure inside tissue shrinks into tissue, not into background).
    static func shrunk(_ map: LabelMap, label: Int64, radius: Int) -> LabelMap {
        guard radius > 0 else { return map }
        var rim = Array(repeating: false, count: map.labels.count)
        let offsets = discOffsets(radius)
        for (x, y) in boundary(of: map, label: label, outside: true) {
            for (dx, dy) in offsets where map.contains(x: x + dx, y: y + dy) && map[x: x + dx, y: y + dy] == label {
                rim[(y + dy) * map.width + x + dx] = true
            }
        }
        return map.filled(where: rim, excluding: label)
    }

    /// Class `label` shifted by (dx, dy), the place it left filled from around it; nil when part of
    /// it would leave the image.
    static func moved(_ map: LabelMap, label: Int64, dx: Int, dy: Int) -> LabelMap? {
        let own = map.labels.map { $0 == label }
        var result = map.filled(where: own, excluding: label)
        for index in own.indices where own[index] {
            let x = index % map.width + dx, y = index / map.width + dy
            guard map.contains(x: x, y: y) else { return nil }
            result[x: x, y: y] = label
        }
        return result
    }

    /// Offsets (dx, dy) with dx² + dy² <= radius².
    static func discOffsets(_ radius: Int) -> [(Int, Int)] {
        guard radius > 0 else { return [] }
        var offsets: [(Int, Int)] = []
        for dy in -radius...radius {
            for dx in -radius...radius where dx * dx + dy * dy <= radius * radius { offsets.append((dx, dy)) }
        }
        return offsets
    }

    /// Pixels of class `label` with a 4-neighbour of another label (`outside`: the pixels of other
    /// labels with a 4-neighbour of class `label`). Growing or shrinking from these alone reaches
    /// every pixel within the radius, at the cost of the outline instead of the area.
    static func boundary(of map: LabelMap, label: Int64, outside: Bool = false) -> [(Int, Int)] {
        var points: [(Int, Int)] = []
        // Whether (x, y) is in the image and on the other side of the outline.
        func across(_ x: Int, _ y: Int) -> Bool { map.contains(x: x, y: y) && (map[x: x, y: y] == label) == outside }
        for y in 0..<map.height {
            for x in 0..<map.width where (map[x: x, y: y] == label) != outside {
                if across(x - 1, y) || across(x + 1, y) || across(x, y - 1) || across(x, y + 1) { points.append((x, y)) }
            }
        }
        return points
    }
}

/// A smooth random displacement: values drawn uniformly in ±alpha pixels at control points `grid`
/// pixels apart, blended between them with smoothstep weights (continuous slope, no kinks).
struct DisplacementField {
    let grid: Double
    let columns: Int
    let dx: [Double]
    let dy: [Double]

    init(width: Int, height: Int, alpha: Double, grid: Double, random: inout EditRandom) {
        self.grid = grid
        columns = Int((Double(width - 1) / grid).rounded(.up)) + 2
        let rows = Int((Double(height - 1) / grid).rounded(.up)) + 2
        var dx: [Double] = [], dy: [Double] = []
        for _ in 0..<(columns * rows) {
            dx.append(random.uniform(-alpha, alpha))
            dy.append(random.uniform(-alpha, alpha))
        }
        (self.dx, self.dy) = (dx, dy)
    }

    func source(_ x: Double, _ y: Double) -> (x: Double, y: Double) {
        let gx = x / grid, gy = y / grid
        let i = Int(gx), j = Int(gy)
        let tx = Self.smooth(gx - Double(i)), ty = Self.smooth(gy - Double(j))
        func blend(_ values: [Double]) -> Double {
            let top = values[j * columns + i] * (1 - tx) + values[j * columns + i + 1] * tx
            let bottom = values[(j + 1) * columns + i] * (1 - tx) + values[(j + 1) * columns + i + 1] * tx
            return top * (1 - ty) + bottom * ty
        }
        return (x + blend(dx), y + blend(dy))
    }

    private static func smooth(_ t: Double) -> Double { t * t * (3 - 2 * t) }
}
