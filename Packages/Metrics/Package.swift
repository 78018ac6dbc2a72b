// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Metrics",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PrometheusMetrics", targets: ["PrometheusMetrics"]),
        .executable(name: "metrics-bench", targets: ["metrics-bench"]),
    ],
    targets: [
        // The module is not called `Metrics`: apple/swift-metrics' `Metrics` module is in the server's graph.
        .target(name: "PrometheusMetrics"),
        // Times `render()` of a registry with 1,000 and 10,000 series (Tools/bench/bench-metrics.sh).
        .executableTarget(name: "metrics-bench", dependencies: ["PrometheusMetrics"]),
        .testTarget(name: "PrometheusMetricsTests", dependencies: ["PrometheusMetrics"]),
    ]
)
