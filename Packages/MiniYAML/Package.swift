// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "MiniYAML",
    // Swift Testing's time limits need macOS 13; the other platforms have no floor.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MiniYAML", targets: ["MiniYAML"]),
        .executable(name: "miniyaml", targets: ["miniyaml"]),
    ],
    targets: [
        // The parser, the value model and the Decodable decoder; no dependencies.
        .target(name: "MiniYAML"),
        // `miniyaml [FILE]`: prints a document as JSON, or FILE:LINE:COL: message on stderr.
        .executableTarget(name: "miniyaml", dependencies: ["MiniYAML"]),
        .testTarget(name: "MiniYAMLTests", dependencies: ["MiniYAML", "miniyaml"]),
    ]
)
