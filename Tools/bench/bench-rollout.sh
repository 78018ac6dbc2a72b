#!/usr/bin/env bash
# Section `rollout` of docs/benchmarks.md: rollouts with simulated agents (Tools/bench/rollout/rollout_sim.py,
# asyncio HTTP clients doing the agent's long-poll/report protocol) against prostagma-server (release build).
#   1. max_parallel 1, 200 agents: the time from a run report to the next agent's poll answer admitting it
#      (the "run start"), 199 samples; target p99 < 50 ms (issue 15).
#   2. max_parallel 20%, 200 agents: the rollout's total time and the most agents running at once (must be <= 40).
# PROSTAGMA_SERVER_BIN=path skips the release build (e.g. a debug binary, for a quick check; not for the record).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source "$top/Tools/bench/common.sh"
out="$top/Tools/bench/out/rollout"
rm -rf "$out"
mkdir -p "$out"
secret=bench-secret
agents=${ROLLOUT_AGENTS:-200}
run_ms=${ROLLOUT_RUN_MS:-20}
ulimit -n "$(ulimit -Hn)"

if [ -n "${PROSTAGMA_SERVER_BIN:-}" ]; then
    bin=$PROSTAGMA_SERVER_BIN
    build="prostagma-server given as $bin"
else
    build_cmd="swift build --package-path Apps/Server -c release --product prostagma-server"
    echo "bench-rollout: $build_cmd" >&2
    $build_cmd >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; exit 1; }
    bin="$(swift build --package-path Apps/Server -c release --show-bin-path)/prostagma-server"
    build="release build of prostagma-server"
fi

server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

run() { # policy-json -> JSON line
    local port; port=$(free_port)
    rm -rf "$out/data"
    PROSTAGMA_HOST="127.0.0.1:$port" PROSTAGMA_SECRET=$secret PROSTAGMA_DATA="$out/data" \
        PROSTAGMA_LOG_FORMAT=text "$bin" >>"$out/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.05; done
    curl -sf -X PUT -H "Authorization: Bearer $secret" -d "$1" \
        "http://127.0.0.1:$port/v1/triggers/bench-rollout/policy" >/dev/null
    python3 Tools/bench/rollout/rollout_sim.py --port "$port" --secret "$secret" --agents "$agents" --run-ms "$run_ms"
    kill "$server_pid"; wait "$server_pid" || true; server_pid=
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
one=$(run '{"max_parallel": 1}'); echo "$one" >&2
pct=$(run '{"max_parallel": "20%"}'); echo "$pct" >&2

cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
{
    echo "## Rollouts: $agents simulated agents"
    echo
    echo "Command: \`bash Tools/bench/bench-rollout.sh\` ($build;"
    echo "\`Tools/bench/rollout/rollout_sim.py\`: $agents asyncio HTTP/1.1 clients on loopback, each long-polling"
    echo "\`GET /v1/triggers/bench-rollout\` with its own \`X-Prostagma-Agent\`, \"running\" a release for $run_ms ms, then"
    echo "reporting it with \`POST /v1/runs\`). Report-to-next-start: from sending a run report to the poll answer that"
    echo "admits the next agent. Machine: $cores cores, $mem RAM, load average before the run: $load."
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC')."
    if [ -n "${PROSTAGMA_SERVER_BIN:-}" ]; then
        echo
        echo "**Not the release build**: a given binary (a debug build, on a machine shared with other builds). Rerun"
        echo "without \`PROSTAGMA_SERVER_BIN\` on a quiet machine for numbers to compare with the target."
    fi
    echo
    echo "| policy | agents | rollout time | cap | most admitted (server, sampled) | most running (clients) |"
    echo "|---|---:|---:|---:|---:|---:|"
    for r in "$one" "$pct"; do
        policy="max_parallel 1"; [ "$r" = "$pct" ] && policy="max_parallel 20%"
        echo "| $policy | $(field "$r" agents) | $(field "$r" total_s) s | $(field "$r" cap) |" \
            "$(field "$r" most_admitted) | $(field "$r" most_running) |"
    done
    echo
    echo "Report → next agent's run start (max_parallel 1, $(field "$one" gaps) samples): p50 $(field "$one" gap_ms_p50) ms,"
    echo "p99 $(field "$one" gap_ms_p99) ms, max $(field "$one" gap_ms_max) ms."
    echo
    echo "Target (issue 15): report to the next agent's run start p99 < 50 ms; at most max_parallel running."
} | tee /dev/stderr | "$top/Tools/bench/update-section.sh" rollout
