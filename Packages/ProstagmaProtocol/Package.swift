// swift-tools-version:6.0
import PackageDescription

// The wire contract both apps speak: request and answer bodies, run reports, header names, name rules and the
// timestamp format. A leaf: Foundation (FoundationEssentials where it exists) only, so the agent stays small.
let package = Package(
    name: "ProstagmaProtocol",
    // Swift Testing's time limits need macOS 13; the other platforms have no floor.
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "ProstagmaProtocol", targets: ["ProstagmaProtocol"])
    ],
    targets: [
        .target(name: "ProstagmaProtocol"),
        .testTarget(name: "ProstagmaProtocolTests", dependencies: ["ProstagmaProtocol"]),
    ]
)
