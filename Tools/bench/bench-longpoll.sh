#!/usr/bin/env bash
# 10,000 long polls against the HTTPCore demo server: resident memory, and the time until all are answered once
# the event fires; then the same with a graceful shutdown (SIGTERM) instead of the event.
# Writes the `longpoll` section of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
top=$(pwd)
pkg=Tools/bench/HTTPBench
connections=${LONGPOLL_CONNECTIONS:-10000}
ulimit -n "$(ulimit -Hn)"

swift build --package-path "$pkg" -c release >&2
bin=$(swift build --package-path "$pkg" -c release --show-bin-path)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

run() { # mode -> JSON line
    local port log pid; port=$(free_port); log=$(mktemp)
    "$bin/HTTPCoreBenchServer" "$port" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/waiters" && break; sleep 0.1; done
    local flag=""; [ "$1" = shutdown ] && flag=--shutdown; [ "$1" = idle ] && flag=--idle
    python3 Tools/longpoll-load/longpoll-load.py --port "$port" --pid "$pid" --connections "$connections" $flag
    if [ "$1" = shutdown ]; then
        local start; start=$(date +%s.%N)
        wait "$pid" || true
        echo "server exited $(python3 -c "print(round(($(date +%s.%N) - $start) * 1000))") ms after the last answer" >&2
    else
        kill "$pid"; wait "$pid" || true
    fi
    rm -f "$log"
}

idle=$(run idle); echo "$idle" >&2
publish=$(run publish); echo "$publish" >&2
shutdown=$(run shutdown); echo "$shutdown" >&2
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
{
    echo "## Long polls: $connections open requests on one HTTPCore server"
    echo
    echo "Command: \`make bench-longpoll\` (\`Tools/bench/bench-longpoll.sh\`): release build of"
    echo "\`HTTPCoreBenchServer\` (\`Tools/bench/HTTPBench\`); \`Tools/longpoll-load/longpoll-load.py\` opens"
    echo "$connections keep-alive connections on loopback, each waiting in \`GET /poll?wait=60\` on one \`Notifier\`,"
    echo "then fires \`POST /publish\` (or SIGTERM for the shutdown row) and times until every poll has its full"
    echo "answer. RSS is the server's VmRSS. Machine: $cores cores, $mem RAM, shared with other work (noisy)."
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC')."
    echo
    echo "| event | server RSS idle | server RSS with polls | per poll | time until all answered | answered |"
    echo "|---|---:|---:|---:|---:|---:|"
    for result in "$publish" "$shutdown"; do
        echo "| $(field "$result" mode) | $(( $(field "$result" server_rss_before_kib) / 1024 )) MiB |" \
            "$(( $(field "$result" server_rss_with_polls_kib) / 1024 )) MiB | $(field "$result" kib_per_poll) KiB |" \
            "$(field "$result" ms_until_all_answered) ms | $(field "$result" answered) / $connections |"
    done
    echo
    echo "For scale: the same server holding $connections idle connections (connected, no request) has"
    echo "$(( $(field "$idle" server_rss_with_idle_connections_kib) / 1024 )) MiB resident, so about half of the"
    echo "per-poll cost is the connection itself (NIO channel, pipeline, async channel, its task) and half is the"
    echo "request being held (async frames of the handler path, request, context, timer)."
    echo
    echo "Targets from DESIGN.md: under 200 MB resident, all answered within 1 s of an increment."
} | tee /dev/stderr | "$top/Tools/bench/update-section.sh" longpoll
