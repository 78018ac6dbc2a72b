// swift-tools-version:6.0
import PackageDescription

// System tests: run the release-built prostagma-server and prostagma-agent as separate processes against a
// real HTTP origin, moto's S3 and the real aws CLI. Support code (processes, ports, HTTP through curl) lives
// in SystemSupport; the scenarios in SystemTests.
let package = Package(
    name: "SystemTests",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The wire types: a run report read back from the server is the agents' own RunReport.
        .package(path: "../Packages/ProstagmaProtocol")
    ],
    targets: [
        .target(
            name: "SystemSupport", dependencies: [.product(name: "ProstagmaProtocol", package: "ProstagmaProtocol")],
            path: "Support/SystemSupport"),
        .testTarget(
            name: "SystemTests",
            dependencies: ["SystemSupport", .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol")],
            path: "SystemTests"),
    ]
)
