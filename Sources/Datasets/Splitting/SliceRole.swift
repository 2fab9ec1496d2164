/// What one slice of a volume is used for.
public enum SliceRole: String, Equatable, Sendable {
    case train, val, test
    /// A gap slice between slabs of different splits: written nowhere, so no two splits hold
    /// neighbouring slices.
    case unused

    public init(_ split: Split) {
        switch split {
        case .train: self = .train
        case .val: self = .val
        case .test: self = .test
        }
    }

    /// The split this slice goes to; nil for a gap slice.
    public var split: Split? { Split(rawValue: rawValue) }
}
