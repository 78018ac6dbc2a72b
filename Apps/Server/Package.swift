// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Server",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "prostagma-server", targets: ["ProstagmaServer"]),
        .library(name: "ServerCore", targets: ["ServerCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
    ],
    targets: [
        .target(
            name: "ServerCore",
            dependencies: [.product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "ProstagmaServer", dependencies: ["ServerCore"]),
        .testTarget(name: "ServerCoreTests", dependencies: ["ServerCore"]),
    ]
)
