// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "MiniYAML",
    // Swift Testing's time limits need macOS 13; the other platforms have no floor.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "MiniYAML", targets: ["MiniYAML"]),
        .executable(name: "miniyaml", targets: ["miniyaml"]),
        // The command behind `miniyaml`, kept apart from the tiny main so tests (here and in the root manifest) call it.
        .library(name: "MiniYAMLCLI", targets: ["MiniYAMLCLI"]),
    ],
    targets: [
        // The parser, the value model and the Decodable decoder; no dependencies.
        .target(name: "MiniYAML"),
        // `miniyaml [FILE]`: prints a document as JSON, or FILE:LINE:COL: message on stderr.
        .target(name: "MiniYAMLCLI", dependencies: ["MiniYAML"]),
        .executableTarget(name: "miniyaml", dependencies: ["MiniYAMLCLI"]),
        .testTarget(name: "MiniYAMLTests", dependencies: ["MiniYAML", "MiniYAMLCLI"]),
    ]
)
