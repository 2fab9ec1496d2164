import Foundation
import FuzzSupport
import ModelCard
import Models

/// ModelCard.read then validate, as UNetCheckpoint.load opens unet/segmadiff.json.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzInput.file(data, size, named: ModelCard.fileName)
    guard let card = try? ModelCard.read(from: URL(fileURLWithPath: path)) else { return 0 }
    _ = try? card.validate(file: path)
    return 0
}
