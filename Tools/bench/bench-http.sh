#!/usr/bin/env bash
# HTTP throughput: a plain-text route and a JSON route under wrk, served by HTTPCore and by Hummingbird 2 in the
# same run (release builds of Tools/bench/HTTPBench). Writes the `http` section of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
source "$top/Tools/bench/common.sh"
pkg=Tools/bench/HTTPBench
duration=${BENCH_DURATION:-10s}
command -v wrk >/dev/null || { echo "wrk is missing: make deps" >&2; exit 1; }

swift build --package-path "$pkg" -c release >&2
bin=$(swift build --package-path "$pkg" -c release --show-bin-path)

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT

start() { # name port -> waits for "listening"
    local log; log=$(mktemp)
    "$bin/$1" "$2" >"$log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$2/plain" && return 0; sleep 0.1; done
    echo "$1 did not start:" >&2; cat "$log" >&2; exit 1
}

core_port=$(free_port); start HTTPCoreBenchServer "$core_port"; core_pid=${pids[-1]}
hb_port=$(free_port); start HummingbirdBenchServer "$hb_port"; hb_pid=${pids[-1]}

rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# wrk prints "Requests/sec:  12345.67" and, with --latency, "99%  1.23ms".
measure() { # port path -> "rps p99"
    wrk -t2 -c64 -d2s "http://127.0.0.1:$1$2" >/dev/null  # warm-up
    local out; out=$(wrk -t2 -c64 -d"$duration" --latency "http://127.0.0.1:$1$2")
    echo "$out" >&2
    local rps p99
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    echo "$rps $p99"
}

rows=""
for route in /plain /json; do
    read -r core_rps core_p99 < <(measure "$core_port" "$route")
    read -r hb_rps hb_p99 < <(measure "$hb_port" "$route")
    rows+="| \`GET $route\` | HTTPCore | $core_rps | $core_p99 |"$'\n'
    rows+="| \`GET $route\` | Hummingbird 2.28.1 | $hb_rps | $hb_p99 |"$'\n'
done
core_rss=$(rss "$core_pid"); hb_rss=$(rss "$hb_pid")

cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
{
    echo "## HTTP: HTTPCore vs Hummingbird"
    echo
    echo "Command: \`make bench-http\` (\`Tools/bench/bench-http.sh\`): release builds of \`Tools/bench/HTTPBench\`;"
    echo "each route under \`wrk -t2 -c64 -d$duration --latency\` after a 2 s warm-up, both servers in the same run,"
    echo "access logs off, loopback. Machine: $cores cores, $mem RAM; wrk and the server share the cores, and the"
    echo "machine is shared with other builds, so treat the figures as noisy (compare the two rows of a route)."
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo
    echo "| route | server | requests/s | p99 latency |"
    echo "|---|---|---:|---:|"
    printf "%s" "$rows"
    echo
    echo "Resident memory after the runs: HTTPCore $((core_rss / 1024)) MiB, Hummingbird $((hb_rss / 1024)) MiB."
} | tee /dev/stderr | "$top/Tools/bench/update-section.sh" http
