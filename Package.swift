// swift-tools-version: 6.0
import PackageDescription

// libtorch is reached only through the C shim `libctorch.so`, which `make shim` (run by the set-up)
// builds into .deps/lib. The rpaths let the binaries find it in place, or beside them once copied.
let shimDir = Context.packageDirectory + "/.deps/lib"
let linkShim: [LinkerSetting] = [
    .unsafeFlags(["-L\(shimDir)", "-Xlinker", "-rpath", "-Xlinker", shimDir,
                  "-Xlinker", "-rpath", "-Xlinker", "$ORIGIN"]),
]

let package = Package(
    name: "segmadiff",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "segmadiff", targets: ["segmadiff"]),
        .library(name: "Torch", targets: ["Torch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CTorch", path: "Sources/CTorch"),
        .target(name: "Torch", dependencies: ["CTorch"], linkerSettings: linkShim),
        .executableTarget(
            name: "segmadiff",
            dependencies: ["Torch", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "segmadiff-bench", dependencies: ["Torch"], path: "Benchmarks/segmadiff-bench"),
        .target(name: "TestSupport", dependencies: ["Torch"], path: "Tests/TestSupport"),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "TestSupport"]),
    ]
)
