// swift-tools-version:6.2
// 6.2: swift-subprocess declares package traits, which older manifests cannot name.
import PackageDescription

// System tests: run the release-built prostagma-server and prostagma-agent as separate processes against a
// real HTTP origin, moto's S3 and the real aws CLI. Support code (processes, ports, HTTP through curl) lives
// in SystemSupport; the scenarios in SystemTests.
let package = Package(
    name: "SystemTests",
    platforms: [.macOS(.v15)],
    dependencies: [
        // The wire types: a run report read back from the server is the agents' own RunReport.
        .package(path: "../Packages/ProstagmaProtocol"),
        // Runs the servers, agents and tools under test (no traits: raw file descriptors are all it needs).
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2", traits: []),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
        // A throwaway PostgreSQL cluster for the replica scenarios.
        .package(path: "../Packages/PostgresFixture"),
    ],
    targets: [
        .target(
            name: "SystemSupport",
            dependencies: [
                .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            path: "Support/SystemSupport"),
        .testTarget(
            name: "SystemTests",
            dependencies: [
                "SystemSupport", .product(name: "ProstagmaProtocol", package: "ProstagmaProtocol"),
                .product(name: "PostgresFixture", package: "PostgresFixture"),
            ],
            path: "SystemTests"),
    ]
)
