import Foundation
import TestSupport
import Testing
@testable import Torch

/// Shapes and offsets from file headers, checked before anything is allocated.
@Suite struct HostileHeaderTests {
    @Test func elementCountRefusesOverflowAndNegativeSides() {
        #expect(ElementCount.of([2, 3, 4]) == 24)
        #expect(ElementCount.of([]) == 1)
        #expect(ElementCount.of([4_000_000_000, 4_000_000_000]) == nil)
        #expect(ElementCount.of([1 << 32, 1 << 32]) == nil)
        #expect(ElementCount.of([-1, 4]) == nil)
        #expect(ElementCount.bytes([1 << 61], elementSize: 8) == nil)
        #expect(ElementCount.bytes([0, 1 << 62], elementSize: 8) == 0)
    }

    func file(_ header: String, payload: Int) throws -> (TemporaryFolder, String) {
        let folder = TemporaryFolder()
        var data = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        data.append(Data(count: payload))
        let path = folder.path + "/w.safetensors"
        try data.write(to: URL(fileURLWithPath: path))
        return (folder, path)
    }

    func expectRefused(_ header: String, payload: Int, mentions words: [String]) throws {
        let (folder, path) = try file(header, payload: payload)
        defer { _ = folder }
        #expect {
            _ = try Safetensors.File(path: path)
        } throws: { error in
            let text = "\(error)"
            return text.contains(path) && words.allSatisfy { text.contains($0) }
        }
    }

    @Test func safetensorsShapeThatOverflows() throws {
        try expectRefused(#"{"w": {"dtype": "F32", "shape": [4294967296, 4294967296], "data_offsets": [0, 16]}}"#, payload: 16,
                          mentions: ["w", "impossible shape"])
    }

    @Test func safetensorsNegativeShape() throws {
        try expectRefused(#"{"w": {"dtype": "F32", "shape": [-2, -2], "data_offsets": [0, 16]}}"#, payload: 16, mentions: ["impossible shape"])
    }

    @Test func safetensorsOverlappingEntries() throws {
        try expectRefused(#"{"a": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}, "b": {"dtype": "F32", "shape": [4], "data_offsets": [8, 24]}}"#,
                          payload: 24, mentions: ["overlap"])
    }

    @Test func safetensorsOffsetsOutsideTheData() throws {
        try expectRefused(#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [16, 32]}}"#, payload: 16, mentions: ["outside the data"])
        try expectRefused(#"{"w": {"dtype": "F32", "shape": [4], "data_offsets": [16, 0]}}"#, payload: 16, mentions: ["outside the data"])
    }

    @Test func safetensorsHeaderLengthBeyondTheFile() throws {
        let folder = TemporaryFolder()
        let path = folder.path + "/w.safetensors"
        try (Data([0, 0, 0, 0, 0, 0, 0, 0x7F]) + Data("{}".utf8)).write(to: URL(fileURLWithPath: path))
        #expect { _ = try Safetensors.File(path: path) } throws: { "\($0)".contains("runs past the end") }
    }

    @Test func entriesInOrderStillLoad() throws {
        let (folder, path) = try file(#"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [0], "data_offsets": [8, 8]}, "c": {"dtype": "F32", "shape": [2], "data_offsets": [8, 16]}}"#, payload: 16)
        defer { _ = folder }
        #expect(try Safetensors.File(path: path).keys == ["a", "b", "c"])
    }
}

/// The line a libtorch failure outside `Engine.catching` ends the process with (`stopProcess`).
@Suite struct EngineExitLineTests {
    @Test func outOfMemoryIsOneLineWithTheFix() {
        let error = EngineError(operation: "conv2d", message: "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you tried to allocate 2147483648 bytes.\nException raised from ...\nframe #0: ...")
        #expect(error.isOutOfMemory)
        #expect(error.exitLine.hasPrefix("segmadiff: error: out of memory: "))
        #expect(error.exitLine.hasSuffix("; try a smaller --train_batch_size or --img_size"))
        #expect(!error.exitLine.contains("\n") && !error.exitLine.contains("frame #0"))
        #expect(EngineError(operation: "mm", message: "CUDA out of memory. Tried to allocate 2.00 GiB").isOutOfMemory)
    }

    @Test func otherFailuresNameTheOp() {
        let error = EngineError(operation: "index_select", message: "index out of range in self\nmore")
        #expect(!error.isOutOfMemory)
        #expect(error.exitLine == "segmadiff: error: libtorch failed in index_select: index out of range in self; this is a segmadiff bug: please report it with the command line")
    }
}
