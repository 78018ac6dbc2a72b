// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ZipReader",
    // macOS 13 is where Swift Testing's time limits start; 15 as the sibling packages.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ZipReader", targets: ["ZipReader"]),
        .executable(name: "zipreader", targets: ["zipreader"]),
        // The command behind `zipreader`, for the tests here and in the root manifest.
        .library(name: "ZipReaderCLI", targets: ["ZipReaderCLI"]),
    ],
    dependencies: [
        .package(path: "../CZlib")
    ],
    targets: [
        // Reading zip archives and extracting them safely; inflate and CRC-32 come from zlib through CZlib.
        .target(name: "ZipReader", dependencies: [.product(name: "CZlib", package: "CZlib")]),
        // The command behind `zipreader` (list, test, extract), kept apart from the tiny @main so tests call it.
        .target(name: "ZipReaderCLI", dependencies: ["ZipReader"]),
        .executableTarget(name: "zipreader", dependencies: ["ZipReaderCLI"]),
        .testTarget(
            name: "ZipReaderTests",
            dependencies: ["ZipReader", "ZipReaderCLI", .product(name: "CZlib", package: "CZlib")]
        ),
    ]
)
