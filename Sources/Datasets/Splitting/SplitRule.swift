/// How the slices cut from 3-D volumes are divided among train, val and test.
///
/// Neighbouring slices of one volume are nearly the same image (1 mm apart in a typical MRI), so a
/// split that deals slices out one by one puts a near-copy of every test slice into training and
/// every held-out score measures memory, not generalisation. `volume` and `slab` keep them apart.
public enum SplitRule: String, CaseIterable, Sendable {
    /// `volume` when there is at least one volume per split asked for, else `slab`.
    case auto
    /// Each volume goes whole into one split.
    case volume
    /// Each volume is cut along the slice axis into contiguous slabs, one split per slab, with a gap
    /// of slices that are used nowhere between slabs of different splits.
    case slab
    /// Slices are dealt out one by one: neighbouring slices leak between splits.
    case slice

    /// The default gap of a slab split, in slices.
    public static let defaultGap = 5

    /// One line for a user: what this rule (once resolved) guarantees.
    public func explanation(gap: Int, volumeCount: Int) -> String {
        switch self {
        case .auto, .volume:
            return "split by volume (\(volumeCount) volumes, each whole in one split)"
        case .slab:
            let volumes = volumeCount == 1 ? "the volume" : "each of the \(volumeCount) volumes"
            return "split by slab (\(volumes) cut into contiguous slabs, \(gap) unused slices between slabs of different splits)"
        case .slice:
            return "split by slice (neighbouring slices of one volume lie in different splits, so held-out scores are optimistic)"
        }
    }

    /// The warning printed when slices are split one by one.
    public static let sliceLeakWarning =
        "warning: --split_by slice puts neighbouring, nearly identical slices into train and test; held-out scores will be optimistic (use --split_by auto)"
}
