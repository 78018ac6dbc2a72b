#!/usr/bin/env bash
# Times PrometheusMetrics' render() of 1,000 and 10,000 series (half counters with three labels, half
# gauges with two, label values needing escapes), next to Python prometheus_client's generate_latest()
# of the same registry in the same run. Writes the `metrics` section of docs/benchmarks.md.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
swift build --package-path Packages/Metrics -c release --product metrics-bench >/dev/null
bench="Packages/Metrics/.build/release/metrics-bench"
ours=$("$bench" 1000 10000)

reference='Python prometheus_client is not installed (`pip install prometheus-client`); no reference figures.'
if python3 -c 'import prometheus_client' 2>/dev/null; then
    reference=$(python3 - <<'PY'
import time, prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
print(f"prometheus_client {getattr(prometheus_client, '__version__', '')}".strip())
print()
print("| series | generate_latest median (ms) | min (ms) | output bytes |")
print("|---:|---:|---:|---:|")
for series in (1000, 10000):
    registry = CollectorRegistry()
    requests = Counter("bench_http_requests", "Requests.", ["route", "method", "status"], registry=registry)
    watchers = Gauge("bench_watchers", "Watchers.", ["trigger", "host"], registry=registry)
    for index in range(series // 2):
        requests.labels(f"/v1/triggers/t{index}", "POST", "200").inc(index)
        watchers.labels(f"trigger-{index}", f'host"\\\n-{index}').set(index * 0.5)
    for _ in range(3):
        out = generate_latest(registry)
    rounds = 20 if series >= 10000 else 100
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        out = generate_latest(registry)
        times.append(time.perf_counter() - start)
    times.sort()
    print(f"| {series} | {times[len(times)//2]*1000:.3f} | {times[0]*1000:.3f} | {len(out)} |")
PY
)
fi

cores=$(nproc)
memory=$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
{
    echo "## metrics: rendering /metrics"
    echo
    echo "Command: \`bash Tools/bench/bench-metrics.sh\` (release build of \`metrics-bench\` in Packages/Metrics)."
    echo "Machine: $cores cores, $memory. The machine was shared with other builds while this ran: figures are noisy."
    echo "A registry of N series: half counters with labels route/method/status, half gauges with labels"
    echo "trigger/host whose values need escaping; time to render the whole text exposition, median and best of"
    echo "100 rounds (20 for 10,000). \"First render\" includes sorting every family's series; later renders reuse"
    echo "the cached order until a series is added or removed (the steady state of a server's /metrics)."
    echo "prometheus_client's output is larger because it adds a \`_created\` sample per counter series."
    echo
    echo "PrometheusMetrics (ours):"
    echo
    echo "$ours"
    echo
    echo "Reference, the same registry in Python's prometheus_client, same run:"
    echo
    echo "$reference"
} | Tools/bench/update-section.sh metrics
echo "metrics: section written to docs/benchmarks.md"
