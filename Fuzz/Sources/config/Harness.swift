import Foundation
import FuzzSupport
import Models

/// UNetConfig.read, as a checkpoint's unet/config.json is opened (it decodes and validates).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzInput.file(data, size, named: UNetConfig.fileName)
    _ = try? UNetConfig.read(from: URL(fileURLWithPath: path))
    return 0
}
