// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "CZlib",
    // Swift Testing's time limits need macOS 13; the other platforms have no floor.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "CZlib", targets: ["CZlib"])
    ],
    targets: [
        // The C library itself (Debian: zlib1g-dev), with small inline shims for its macros.
        .systemLibrary(
            name: "CZlibSystem",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The Swift layer: CRC-32 and streaming deflate/inflate.
        .target(name: "CZlib", dependencies: ["CZlibSystem"]),
        .testTarget(name: "CZlibTests", dependencies: ["CZlib"]),
    ]
)
