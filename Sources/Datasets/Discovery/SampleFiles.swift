/// The files of one sample: its image (nil in mask-only evaluation) and one mask per seg type,
/// in the data set's sorted seg-type order, all sharing one file name.
public struct SampleFiles: Equatable, Sendable {
    public var name: String
    public var image: String?
    public var masks: [String]

    public init(name: String, image: String?, masks: [String]) {
        self.name = name
        self.image = image
        self.masks = masks
    }
}
