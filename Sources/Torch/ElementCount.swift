/// Element and byte counts of shapes read from files, computed without trapping: a header can claim
/// any shape (4e9 x 4e9, negative sides), and `shape.reduce(1, *)` would overflow and kill the
/// process before the claim could be compared with the file's real size.
public enum ElementCount {
    /// The number of elements of `shape`, or nil when a side is negative or the product overflows Int.
    /// An empty side does not make the rest harmless: libtorch computes strides as if it were 1, so
    /// (0, 2^40, 2^40) holds no element yet fails in libtorch ("Stride calculation overflowed") once
    /// a tensor is made of it. The sides are therefore also multiplied with empty ones counted as 1.
    public static func of(_ shape: [Int]) -> Int? {
        var count = 1, span = 1
        for side in shape {
            guard side >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: side)
            let (spanProduct, spanOverflow) = span.multipliedReportingOverflow(by: Swift.max(side, 1))
            guard !overflow, !spanOverflow else { return nil }
            count = product
            span = spanProduct
        }
        return count
    }

    /// The bytes of `shape` at `elementSize` bytes each, or nil as for `of`.
    public static func bytes(_ shape: [Int], elementSize: Int) -> Int? {
        guard let count = of(shape) else { return nil }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        return overflow ? nil : bytes
    }
}
