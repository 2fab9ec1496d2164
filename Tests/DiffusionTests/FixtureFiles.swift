import Foundation
import TestSupport
import Torch

/// The reference tensors these tests compare against.
enum FixtureFiles {
    /// diffusers' DDPM/DDIM values (`schedulers.safetensors`) of every fixture root that has them.
    static func schedulers() throws -> [Safetensors.File] {
        try Fixtures.files(named: "schedulers.safetensors").map { try Safetensors.File(path: $0.path) }
    }

    /// DPM-Solver++ and DDIM-with-eta values made by scripts/fixtures/make_dpmpp_fixture.py.
    static func dpmpp() throws -> Safetensors.File {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return try Safetensors.File(path: here.appendingPathComponent("Fixtures/dpmpp.safetensors").path)
    }
}

extension Safetensors.File {
    /// The tensor under `key`; a missing key is a broken fixture, reported by name.
    func required(_ key: String) throws -> Tensor {
        guard let tensor = tensor(key) else { throw FixtureError(message: "\(path) has no tensor \(key)") }
        return tensor
    }

    /// The integer after `prefix` in every key of the form prefix + N + suffix, sorted.
    func numbers(between prefix: String, and suffix: String = "") -> [Int] {
        keys.compactMap { key in
            guard key.hasPrefix(prefix), key.hasSuffix(suffix) else { return nil }
            return Int(key.dropFirst(prefix.count).dropLast(suffix.count))
        }.sorted()
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// How far a scheduler result may be from diffusers'. On the machines the fixtures were made on the
/// difference is 0 (same libtorch, same float32 operations in the same order); the margin allows for
/// libtorch picking other SIMD kernels (sqrt, exp, log) on another CPU family, which round an ulp
/// differently, and is far below any formula error. For values above 1 it is relative (see
/// `scaledDifference`).
let referenceTolerance: Float = 1e-6

/// The largest element-wise difference, relative to the largest magnitude of `expected` where that
/// is above 1: an ulp of difference in a schedule constant moves a large value by more than 1e-6.
func scaledDifference(_ actual: Tensor, _ expected: Tensor) -> Float {
    maxDifference(actual, expected) / Swift.max(1, expected.to(.float32).abs().max().float)
}

/// The largest absolute element-wise difference.
func maxDifference(_ a: Tensor, _ b: Tensor) -> Float {
    (a.to(.float32) - b.to(.float32)).abs().max().float
}

func ints(_ t: Tensor) -> [Int] { t.scalars(as: Int64.self).map { Int($0) } }
