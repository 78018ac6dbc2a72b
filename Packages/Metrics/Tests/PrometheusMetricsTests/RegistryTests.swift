import Testing

@testable import PrometheusMetrics

@Suite(.timeLimit(.minutes(2))) struct RegistryTests {
    @Test func rendersCountersGaugesAndHistogramsExactly() throws {
        let registry = MetricsRegistry()
        let requests = try registry.counterFamily(
            "app_requests_total", help: "Requests by route.", labelNames: ["route", "status"])
        requests.labels("/b", "200").increment(by: 2)
        requests.labels("/a", "500").increment()
        try registry.gauge("app_temperature_celsius", help: "Temperature.").set(-1.5)
        let latency = try registry.histogram("app_latency_seconds", help: "Latency.", buckets: [0.1, 1])
        latency.observe(0.05)
        latency.observe(0.5)
        latency.observe(7)
        let expected = """
            # HELP app_latency_seconds Latency.
            # TYPE app_latency_seconds histogram
            app_latency_seconds_bucket{le="0.1"} 1
            app_latency_seconds_bucket{le="1"} 2
            app_latency_seconds_bucket{le="+Inf"} 3
            app_latency_seconds_sum 7.55
            app_latency_seconds_count 3
            # HELP app_requests_total Requests by route.
            # TYPE app_requests_total counter
            app_requests_total{route="/a",status="500"} 1
            app_requests_total{route="/b",status="200"} 2
            # HELP app_temperature_celsius Temperature.
            # TYPE app_temperature_celsius gauge
            app_temperature_celsius -1.5

            """
        #expect(registry.render() == expected)
    }

    @Test func histogramBucketsAreCumulativeAndIncludeBoundaryValues() throws {
        let registry = MetricsRegistry()
        let family = try registry.histogramFamily(
            "job_size_bytes", help: "Sizes.", labelNames: ["kind"], buckets: [10, 100, 1000])
        let histogram = family.labels("zip")
        for value in [10.0, 10.5, 100, 5000, -1] { histogram.observe(value) }
        let counts = histogram.cumulativeCounts
        #expect(counts.map(\.count) == [2, 4, 4, 5])
        #expect(counts.last?.upperBound == .infinity)
        #expect(histogram.count == 5)
        #expect(histogram.sum == 5119.5)
        let text = registry.render()
        #expect(text.contains("job_size_bytes_bucket{kind=\"zip\",le=\"+Inf\"} 5\n"))
        #expect(text.contains("job_size_bytes_sum{kind=\"zip\"} 5119.5\n"))
        #expect(text.contains("job_size_bytes_count{kind=\"zip\"} 5\n"))
    }

    @Test func histogramObservesDurationsInSeconds() throws {
        let histogram = try MetricsRegistry().histogram("d_seconds", help: "d", buckets: [1])
        histogram.observe(Duration.milliseconds(1500))
        #expect(histogram.sum == 1.5)
    }

    @Test func trickyLabelValuesAndHelpAreEscapedInOutput() throws {
        let registry = MetricsRegistry()
        let family = try registry.gaugeFamily("g", help: "line1\nline2 \\ \"q\"", labelNames: ["v"])
        family.labels("a\"b\\c\nd").set(1)
        let text = registry.render()
        #expect(text.contains("# HELP g line1\\nline2 \\\\ \"q\"\n"))
        #expect(text.contains("g{v=\"a\\\"b\\\\c\\nd\"} 1\n"))
    }

    @Test func outputOrderDoesNotDependOnRegistrationOrUpdateOrder() throws {
        func build(_ order: [Int]) throws -> String {
            let registry = MetricsRegistry()
            for index in order {
                let family = try registry.counterFamily("m\(index)_total", help: "h", labelNames: ["k"])
                for label in order.reversed() { family.labels("v\(label)").increment() }
            }
            return registry.render()
        }
        let forward = try build([1, 2, 3, 4])
        #expect(forward == (try build([3, 1, 4, 2])))
        #expect(forward.components(separatedBy: "\n").first == "# HELP m1_total h")
    }

    @Test func seriesAddedAfterARenderAppearInOrder() throws {
        let registry = MetricsRegistry()
        let family = try registry.gaugeFamily("order", help: "h", labelNames: ["k"])
        family.labels("b").set(2)
        family.labels("d").set(4)
        #expect(registry.render().hasSuffix("order{k=\"b\"} 2\norder{k=\"d\"} 4\n"))
        family.labels("c").set(3)
        family.labels("a").set(1)
        #expect(registry.render().hasSuffix("order{k=\"a\"} 1\norder{k=\"b\"} 2\norder{k=\"c\"} 3\norder{k=\"d\"} 4\n"))
        #expect(compareBytes("a", "ab") < 0 && compareBytes("b", "ab") > 0 && compareBytes("", "") == 0)
        #expect(compareBytes("Z", "a") < 0)
    }

    @Test func registeringTheSameFamilyTwiceReturnsTheSameHandle() throws {
        let registry = MetricsRegistry()
        let first = try registry.counter("c_total", help: "h")
        let second = try registry.counter("c_total", help: "h")
        #expect(first === second)
    }

    @Test func conflictingRegistrationThrowsAndNamesTheMetric() throws {
        let registry = MetricsRegistry()
        _ = try registry.counter("x_total", help: "h")
        let error = #expect(throws: MetricsError.self) { try registry.gauge("x_total", help: "h") }
        #expect(error?.kind == .conflictingRegistration)
        #expect(error?.description.contains("\"x_total\"") == true)
        #expect(throws: MetricsError.self) { try registry.counterFamily("x_total", help: "h", labelNames: ["a"]) }
    }

    @Test func invalidNamesAndBucketsAreRejected() throws {
        let registry = MetricsRegistry()
        #expect(throws: MetricsError(.invalidMetricName, metricName: "bad-name")) {
            try registry.counter("bad-name", help: "h")
        }
        #expect(throws: MetricsError(.invalidLabelName("__x"), metricName: "ok")) {
            try registry.gaugeFamily("ok", help: "h", labelNames: ["__x"])
        }
        #expect(throws: MetricsError(.invalidLabelName("le"), metricName: "h_seconds")) {
            try registry.histogramFamily("h_seconds", help: "h", labelNames: ["le"])
        }
        #expect(throws: MetricsError(.duplicateLabelName("a"), metricName: "ok2")) {
            try registry.gaugeFamily("ok2", help: "h", labelNames: ["a", "a"])
        }
        #expect(throws: MetricsError(.invalidBuckets, metricName: "b_seconds")) {
            try registry.histogram("b_seconds", help: "h", buckets: [1, 1])
        }
        #expect(throws: MetricsError(.invalidBuckets, metricName: "b2_seconds")) {
            try registry.histogram("b2_seconds", help: "h", buckets: [])
        }
    }

    @Test func labelledFamilyWithoutSeriesIsOmittedAndRemovedSeriesDisappear() throws {
        let registry = MetricsRegistry()
        let family = try registry.counterFamily("r_total", help: "h", labelNames: ["k"])
        #expect(registry.render() == "")
        family.labels("gone").increment()
        #expect(registry.render().contains("r_total{k=\"gone\"} 1"))
        family.remove("gone")
        #expect(registry.render() == "")
    }

    @Test func computedFamiliesAreEvaluatedAtEveryScrape() throws {
        let registry = MetricsRegistry()
        let gauge = try registry.gauge("source", help: "h")
        try registry.computedGauge("cache_bytes", help: "Bytes.") { gauge.value * 2 }
        try registry.computed("watchers", help: "Watchers.", labelNames: ["trigger"]) {
            [Sample(labelValues: ["b"], value: 2), Sample(labelValues: ["a"], value: 1), Sample(value: 9)]
        }
        gauge.set(21)
        let text = registry.render()
        #expect(text.contains("cache_bytes 42\n"))
        #expect(text.contains("watchers{trigger=\"a\"} 1\nwatchers{trigger=\"b\"} 2\n"))
        gauge.set(1)
        #expect(registry.render().contains("cache_bytes 2\n"))
    }

    @Test func concurrentUpdatesFromManyTasksAreNotLost() async throws {
        let registry = MetricsRegistry()
        let family = try registry.counterFamily("hits_total", help: "h", labelNames: ["worker"])
        let gauge = try registry.gauge("level", help: "h")
        let histogram = try registry.histogram("obs_seconds", help: "h", buckets: [0.5])
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    let mine = family.labels("w\(worker % 2)")
                    for step in 0..<10_000 {
                        mine.increment()
                        gauge.increment(by: 1)
                        gauge.decrement(by: 0.5)
                        histogram.observe(step % 2 == 0 ? 0.25 : 1)
                    }
                }
            }
        }
        #expect(family.labels("w0").value == 40_000)
        #expect(family.labels("w1").value == 40_000)
        #expect(gauge.value == 40_000)
        #expect(histogram.count == 80_000)
        #expect(histogram.cumulativeCounts.map(\.count) == [40_000, 80_000])
    }
}
