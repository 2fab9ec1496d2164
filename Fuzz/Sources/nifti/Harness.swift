import Datasets
import FuzzSupport

/// NiftiVolume.read as import-nifti calls it; .nii and .nii.gz go through the same reader (zlib
/// passes plain files through), so one harness covers both: the corpus holds both kinds.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzInput.file(data, size, named: "volume.nii.gz")
    _ = refusedOrRead { try NiftiVolume.read(path) }
    return 0
}
