// swift-tools-version:6.0
import PackageDescription

// System tests: run the release-built prostagma-server and prostagma-agent as separate processes against a
// real HTTP origin, moto's S3 and the real aws CLI. Support code (processes, ports, HTTP through curl) lives
// in SystemSupport; the scenarios in SystemTests.
let package = Package(
    name: "SystemTests",
    platforms: [.macOS(.v15)],
    targets: [
        .target(name: "SystemSupport", path: "Support/SystemSupport"),
        .testTarget(name: "SystemTests", dependencies: ["SystemSupport"], path: "SystemTests"),
    ]
)
