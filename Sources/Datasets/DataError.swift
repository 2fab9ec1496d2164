/// A problem with the user's data, reported in one line that names the file and says how to fix it
/// (`masks/all/train/ct_060.png has label 7, but --num_segmentation_classes is 3 (labels 0-2); pass
/// --num_segmentation_classes 8 or correct the mask`).
/// The CLI prints `description` and exits with status 2.
public struct DataError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }
}
