// swift-tools-version:6.2
// 6.2: swift-subprocess declares package traits, which older manifests cannot name.
import PackageDescription

let package = Package(
    name: "S3Fetch",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "S3Fetch", targets: ["S3Fetch"])
    ],
    dependencies: [
        // No traits: the default one (SubprocessFoundation) only adds Data-based outputs, which S3Fetch does not
        // use; raw buffers are what it streams.
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2", traits: []),
        // FilePath, for naming the resolved CLI to Subprocess.
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "S3Fetch",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        .testTarget(name: "S3FetchTests", dependencies: ["S3Fetch"]),
    ]
)
