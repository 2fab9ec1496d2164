// swift-tools-version: 6.0
import Foundation
import PackageDescription

// libFuzzer harnesses for segmadiff's readers of outside files, one executable per format. They
// live in a package of their own so that a normal `swift build` never compiles them: they only
// link under `--sanitize=fuzzer` (libFuzzer supplies `main`). scripts/fuzz.sh builds and runs them.

// A path dependency's identity is its folder's name, which differs between checkouts.
let parent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent()
let readers = Target.Dependency.product(name: "SegmadiffReaders", package: parent.lastPathComponent)

let harnesses = ["safetensors", "nifti", "npy", "png", "jpeg", "config", "modelcard", "scheduler", "manifest"]

let package = Package(
    name: "segmadiff-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [readers]),
    ] + harnesses.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzSupport", readers], path: "Sources/\(name)",
                          swiftSettings: [.unsafeFlags(["-parse-as-library"])])
    }
)
