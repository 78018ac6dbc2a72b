// swift-tools-version:6.0
import PackageDescription

// Benchmark only: MiniYAML against jpsim/Yams on the same input. Yams never enters MiniYAML's own graph.
let package = Package(
    name: "YAMLBench",
    dependencies: [
        .package(path: "../../../Packages/MiniYAML"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .executableTarget(
            name: "YAMLBench",
            dependencies: [
                .product(name: "MiniYAML", package: "MiniYAML"),
                .product(name: "Yams", package: "Yams"),
            ])
    ]
)
