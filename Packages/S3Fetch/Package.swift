// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "S3Fetch",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "S3Fetch", targets: ["S3Fetch"])
    ],
    targets: [
        .target(name: "S3Fetch"),
        .testTarget(name: "S3FetchTests", dependencies: ["S3Fetch"]),
    ]
)
