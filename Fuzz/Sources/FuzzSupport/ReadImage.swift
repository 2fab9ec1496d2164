import Datasets
import Torch

/// What a data set does with an image or mask file: read it, then take its intensity planes and
/// its label plane inside Engine.catching, as DatasetValidator and Dataset.load do (a thrown error
/// is a proper refusal).
public func readImage(_ path: String) {
    guard let image = try? ImageFile.read(path) else { return }
    _ = try? Engine.catching { image.intensityPlanes() }
    _ = try? Engine.catching { image.labelPlane() }
}
