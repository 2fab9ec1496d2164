import Evaluation
import Foundation
import FuzzSupport

/// A resumed sample-many run: the saved manifest.json's settings read and compared with this
/// run's (the keys SampleMany records), as checkResumable does before any image is written.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    _ = FuzzInput.file(data, size, named: SampleManifest.fileName)
    let manifest = SampleManifest(settings: [
        "checkpoint": "/run", "count": 4, "guided": true, "mask_source": NSNull(), "ablation": false,
        "blank_mask": false, "sampler": "ddim", "steps": 50, "seed": 0, "batch_size": 4, "image_format": "png",
        "image_size": 64, "guidance_scale": 1.5,
    ], information: [:])
    _ = try? manifest.checkResumable(in: URL(fileURLWithPath: FuzzInput.folderPath))
    return 0
}
