import Foundation
import Testing
import TestSupport
@testable import Torch

/// Safetensors inputs the fuzz work (Fuzz/, scripts/fuzz.sh) found, fed to the real reader.
@Suite struct FuzzFindingTests {
    /// No elements, but sides whose product overflows: libtorch failed making the tensor
    /// ("Stride calculation overflowed"), which ended the process from inside the engine.
    @Test func emptyShapeWithOverflowingSidesIsRefused() throws {
        #expect(ElementCount.of([0, 1 << 40, 1 << 40]) == nil)
        #expect(ElementCount.of([1 << 40, 1 << 40, 0]) == nil)
        #expect(ElementCount.of([0, 1 << 31, 1 << 31]) == 0)

        let header = #"{"w": {"dtype": "F32", "shape": [0, 1099511627776, 1099511627776], "data_offsets": [0, 0]}}"#
        let folder = TemporaryFolder()
        let path = folder.path + "/w.safetensors"
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        try data.write(to: URL(fileURLWithPath: path))
        #expect { _ = try Safetensors.File(path: path) } throws: { error in
            let text = "\(error)"
            return text.contains(path) && text.contains("impossible shape") && !text.contains("\n")
        }
    }
}
