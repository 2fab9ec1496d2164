import Datasets
import FuzzSupport

/// ImageFile.read of an .npy image or mask, then the planes a data set makes of it.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    readImage(FuzzInput.file(data, size, named: "image.npy"))
    return 0
}
