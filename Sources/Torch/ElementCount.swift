/// Element and byte counts of shapes read from files, computed without trapping: a header can claim
/// any shape (4e9 x 4e9, negative sides), and `shape.reduce(1, *)` would overflow and kill the
/// process before the claim could be compared with the file's real size.
public enum ElementCount {
    /// The number of elements of `shape`, or nil when a side is negative or the product overflows Int.
    public static func of(_ shape: [Int]) -> Int? {
        var count = 1
        for side in shape {
            guard side >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: side)
            guard !overflow else { return nil }
            count = product
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
