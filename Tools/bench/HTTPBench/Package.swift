// swift-tools-version:6.0
// Benchmark-only package: the same routes served by HTTPCore and by Hummingbird, for Tools/bench/bench-http.sh
// and Tools/bench/bench-longpoll.sh. Hummingbird never enters HTTPCore's own Package.swift.
import PackageDescription

let package = Package(
    name: "HTTPBench",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../../../Packages/HTTPCore"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .executableTarget(
            name: "HTTPCoreBenchServer",
            dependencies: [
                .product(name: "HTTPCore", package: "HTTPCore"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "HummingbirdBenchServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ]
)
