// swift-tools-version:6.2
// 6.2: swift-subprocess declares package traits, which older manifests cannot name.
import PackageDescription

// Test support only: a throwaway PostgreSQL 15 cluster (initdb/pg_ctl as the `postgres` user) on 127.0.0.1 and a
// free port. Depended on by ServerCoreTests and the system tests; never by shipped code.
let package = Package(
    name: "PostgresFixture",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PostgresFixture", targets: ["PostgresFixture"])
    ],
    dependencies: [
        // Runs initdb, pg_ctl and psql (no traits: raw file descriptors are all it needs).
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2", traits: []),
        .package(url: "https://github.com/apple/swift-system", from: "1.5.0"),
    ],
    targets: [
        .target(
            name: "PostgresFixture",
            dependencies: [
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]),
        .testTarget(name: "PostgresFixtureTests", dependencies: ["PostgresFixture"]),
    ]
)
