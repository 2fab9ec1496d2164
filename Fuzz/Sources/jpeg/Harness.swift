import FuzzSupport

/// ImageFile.read of a JPEG (through the ImageCodecs C wrapper of libjpeg), then the planes a data set
/// makes of it. A header claiming more pixels than the decoder accepts must be refused before any
/// pixel memory is allocated (-malloc_limit_mb catches one that is not).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    readImage(FuzzInput.file(data, size, named: "image.jpeg"))
    return 0
}
