// swift-tools-version: 6.0
import Foundation
import PackageDescription

// libtorch is reached only through the C shim `libctorch.so`, which `make shim` (run by the set-up)
// builds into .deps/lib. The rpaths let the binaries find it in place, or beside them once copied.
let shimDir = Context.packageDirectory + "/.deps/lib"
let linkShim: [LinkerSetting] = [
    .unsafeFlags(["-L\(shimDir)", "-Xlinker", "-rpath", "-Xlinker", shimDir,
                  "-Xlinker", "-rpath", "-Xlinker", "$ORIGIN"]),
]

// GDCM (Debian's libgdcm-dev, installed by the set-up) reads and writes DICOM. Debian keeps its
// headers in a versioned folder, /usr/include/gdcm-3.0: the newest gdcm-* folder there (or under
// /usr/local/include, for a build from source) is the one used.
let gdcmInclude: String = {
    for root in ["/usr/local/include", "/usr/include"] {
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        if let newest = folders.filter({ $0.hasPrefix("gdcm-") }).sorted().last { return root + "/" + newest }
    }
    return "/usr/include/gdcm-3.0"
}()

let package = Package(
    name: "segmadiff",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "segmadiff", targets: ["segmadiff"]),
        .library(name: "Torch", targets: ["Torch"]),
        // The readers of outside files, for the fuzz harnesses in Fuzz/ (a package of their own).
        .library(name: "SegmadiffReaders", targets: ["ModelCard", "Models", "Diffusion", "Datasets", "Evaluation"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // The studio's HTTP server: plain sockets and Swift concurrency, no NIO.
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        .systemLibrary(name: "CTorch", path: "Sources/CTorch"),
        .target(name: "Torch", dependencies: ["CTorch"], linkerSettings: linkShim),
        .target(name: "ModelCard"),
        // Layers above the engine; each uses only the ones listed before it.
        .target(name: "Models", dependencies: ["Torch", "ModelCard"]),
        .target(name: "Diffusion", dependencies: ["Torch"]),
        .target(name: "ImageCodecs", linkerSettings: [.linkedLibrary("png"), .linkedLibrary("jpeg"), .linkedLibrary("z")]),
        // A C interface over GDCM's C++ API, which catches its exceptions and aborts.
        .target(name: "CDicom", cxxSettings: [.unsafeFlags(["-isystem", gdcmInclude])],
                linkerSettings: [.linkedLibrary("gdcmMSFF"), .linkedLibrary("gdcmDSED"), .linkedLibrary("gdcmCommon"),
                                 .linkedLibrary("stdc++")]),
        .target(name: "Datasets", dependencies: ["Torch", "ModelCard", "ImageCodecs", "CDicom"]),
        .target(name: "Training", dependencies: ["Torch", "ModelCard", "Models", "Diffusion", "Datasets"]),
        .systemLibrary(name: "CCairo", path: "Sources/CCairo"),
        .target(name: "Evaluation", dependencies: ["Torch", "ModelCard", "Models", "Diffusion", "Datasets", "Training", "CCairo"]),
        // `segmadiff studio`: the local web app (the page is a resource folder of plain HTML, CSS and JS).
        .target(name: "Studio", dependencies: ["Torch", "ModelCard", "Models", "Diffusion", "Datasets", "Training", "Evaluation",
                                               .product(name: "FlyingFox", package: "FlyingFox")],
                resources: [.copy("Page")]),
        .executableTarget(
            name: "segmadiff",
            dependencies: ["Torch", "ModelCard", "Models", "Diffusion", "Datasets", "Training", "Evaluation", "Studio",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .executableTarget(name: "segmadiff-bench", dependencies: ["Torch", "Models", "Diffusion", "Datasets"],
                          path: "Benchmarks/segmadiff-bench"),
        .target(name: "TestSupport", dependencies: ["Torch", "ModelCard", "Models", "Datasets", "Training"],
                path: "Tests/TestSupport"),
        .testTarget(name: "TorchTests", dependencies: ["Torch", "TestSupport"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Diffusion", "TestSupport"]),
        .testTarget(name: "DiffusionTests", dependencies: ["Diffusion", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "TestSupport"]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "TestSupport"]),
        // Runs the built `segmadiff` binary: flags, exit codes, files, signals.
        .testTarget(name: "CLITests", dependencies: ["segmadiff", "TestSupport"]),
        // A running `segmadiff studio` over HTTP, under load, and in headless Chromium over WebDriver.
        .testTarget(name: "StudioTests", dependencies: ["segmadiff", "TestSupport"]),
    ]
)
