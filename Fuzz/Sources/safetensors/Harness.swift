import FuzzSupport
import Torch

/// Safetensors.File as checkpoints and training state are opened, then every tensor copied out:
/// the offsets and shapes the header claims must be checked before any byte is read through them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let path = FuzzInput.file(data, size, named: "weights.safetensors")
    guard let file = refusedOrRead({ try Safetensors.File(path: path) }) else { return 0 }
    for key in file.keys {
        _ = refusedOrRead { file.tensor(key) }
    }
    return 0
}
