import Torch

/// One seg type's label map as plain integers, the form the mask edits work on. Edits run once per
/// sample, before sampling, over a few tens of thousands of pixels; in plain Swift they are exactly
/// reproducible from a seed, whatever libtorch's kernels or thread count.
public struct LabelMap: Equatable, Sendable {
    public let width: Int
    public let height: Int
    /// Row-major, `labels[y * width + x]`.
    public var labels: [Int64]

    public init(width: Int, height: Int, labels: [Int64]) {
        precondition(labels.count == width * height, "a label map needs width x height labels")
        self.width = width
        self.height = height
        self.labels = labels
    }

    /// From a tensor [H, W] or [1, H, W] of integer labels.
    public init(_ tensor: Tensor) {
        let shape = tensor.shape
        self.init(width: shape[shape.count - 1], height: shape[shape.count - 2],
                  labels: tensor.to(.int64).contiguous().scalars(as: Int64.self))
    }

    /// [1, H, W] int64.
    public var tensor: Tensor { Tensor(labels, shape: [1, height, width]) }

    public subscript(x x: Int, y y: Int) -> Int64 {
        get { labels[y * width + x] }
        set { labels[y * width + x] = newValue }
    }

    public func contains(x: Int, y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }

    /// The non-background labels present.
    public var classes: Set<Int64> { Set(labels).subtracting([0]) }

    public func pixelCount(of label: Int64) -> Int { labels.reduce(0) { $0 + ($1 == label ? 1 : 0) } }

    /// A map of the same size whose pixel (x, y) takes the label at `source(x, y)` rounded to the
    /// nearest pixel (labels stay labels), background where that falls outside the image.
    public func resampled(_ source: (Double, Double) -> (x: Double, y: Double)) -> LabelMap {
        var result = LabelMap(width: width, height: height, labels: Array(repeating: 0, count: labels.count))
        for y in 0..<height {
            for x in 0..<width {
                let point = source(Double(x), Double(y))
                let sx = Int(point.x.rounded()), sy = Int(point.y.rounded())
                if contains(x: sx, y: sy) { result[x: x, y: y] = self[x: sx, y: sy] }
            }
        }
        return result
    }

    /// The pixels where `replace` is true take the label of the nearest pixel that is neither
    /// replaced nor of label `excluded` (breadth-first over 4-neighbours through replaced pixels, in
    /// a fixed order): what lies around a structure that is shrunk or moved fills the place it
    /// leaves. Background where no such pixel is reachable.
    public func filled(where replace: [Bool], excluding excluded: Int64) -> LabelMap {
        var result = self
        var known = replace.map { !$0 }
        var queue: [Int] = []
        queue.reserveCapacity(labels.count)
        // Only sources beside a replaced pixel can reach one (known pixels are never walked through),
        // so the others are left out of the queue; the result is the same.
        for index in labels.indices where known[index] && labels[index] != excluded {
            let x = index % width, y = index / width
            if (x > 0 && replace[index - 1]) || (x < width - 1 && replace[index + 1])
                || (y > 0 && replace[index - width]) || (y < height - 1 && replace[index + width]) {
                queue.append(index)
            }
        }
        var head = 0
        while head < queue.count {
            let index = queue[head]
            head += 1
            let x = index % width, y = index / width
            func reach(_ next: Int) {
                guard !known[next] else { return }
                known[next] = true
                result.labels[next] = result.labels[index]
                queue.append(next)
            }
            if x > 0 { reach(index - 1) }
            if x < width - 1 { reach(index + 1) }
            if y > 0 { reach(index - width) }
            if y < height - 1 { reach(index + width) }
        }
        for index in labels.indices where !known[index] { result.labels[index] = 0 }
        return result
    }
}
