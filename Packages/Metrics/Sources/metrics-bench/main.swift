// Times MetricsRegistry.render() for registries of a given number of series.
// Usage: metrics-bench [SERIES ...]   (default 1000 10000). Prints one markdown table row per size.
import PrometheusMetrics

let sizes = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let clock = ContinuousClock()

func registry(series: Int) throws -> MetricsRegistry {
    // Half counters with three labels, half gauges with two labels, like the server's request metrics.
    let registry = MetricsRegistry()
    let requests = try registry.counterFamily(
        "bench_http_requests_total", help: "Requests.", labelNames: ["route", "method", "status"])
    let watchers = try registry.gaugeFamily("bench_watchers", help: "Watchers.", labelNames: ["trigger", "host"])
    for index in 0..<series / 2 {
        requests.labels("/v1/triggers/t\(index)", "POST", "200").increment(by: Double(index))
        watchers.labels("trigger-\(index)", "host\"\\\n-\(index)").set(Double(index) * 0.5)
    }
    return registry
}

print("| series | first render (ms) | render median (ms) | render min (ms) | output bytes |")
print("|---:|---:|---:|---:|---:|")
for size in sizes.isEmpty ? [1000, 10000] : sizes {
    let registry = try registry(series: size)
    var bytes = 0
    // The first render sorts every family's series; later ones reuse the order until a series is added.
    let first = clock.measure { bytes = registry.render().utf8.count }
    for _ in 0..<3 { bytes = registry.render().utf8.count }  // warm up
    var times: [Duration] = []
    let rounds = size >= 10_000 ? 20 : 100
    for _ in 0..<rounds {
        let elapsed = clock.measure { bytes = registry.render().utf8.count }
        times.append(elapsed)
    }
    times.sort()
    func ms(_ duration: Duration) -> String {
        let (seconds, atto) = duration.components
        let value = Double(seconds) * 1000 + Double(atto) / 1e15
        return String(Int((value * 1000).rounded())).paddedMilliseconds
    }
    print("| \(size) | \(ms(first)) | \(ms(times[times.count / 2])) | \(ms(times[0])) | \(bytes) |")
}

extension String {
    /// "1234" microseconds as "1.234".
    var paddedMilliseconds: String {
        let micros = Int(self) ?? 0
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}
