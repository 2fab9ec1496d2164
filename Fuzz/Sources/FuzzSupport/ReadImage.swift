import Datasets
import Torch

/// What a data set does with an image or mask file: read it (DatasetValidator does so outside
/// Engine.catching), then take its intensity planes and its label plane inside Engine.catching, as
/// DatasetValidator and Dataset.load do (a thrown error there is a proper refusal).
public func readImage(_ path: String) {
    guard let image = refusedOrRead({ try ImageFile.read(path) }) else { return }
    _ = try? Engine.catching { image.intensityPlanes() }
    _ = try? Engine.catching { image.labelPlane() }
}
