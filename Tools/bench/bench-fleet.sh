#!/usr/bin/env bash
# Section `fleet` of docs/benchmarks.md: FLEET_AGENTS (default 200) real prostagma-agent processes, each with its
# own name and state directory, watching one trigger of a release-built prostagma-server (issue 17, "also measured").
#   - trigger -> run start: from just before each `POST /v1/triggers/fleet` to every agent's shell step timestamp,
#     over FLEET_ROUNDS rounds (Tools/bench/e2e/fleet.py);
#   - the server's CPU time per round and its resident memory; the agents' resident memory.
# The reference is the original agent's 5 s poll (a run starts 0-5 s after the trigger moves).
# Every process started here runs in its own process group and is stopped on exit, by PID. Only 127.0.0.1.
# FLEET_SERVER_BIN / FLEET_AGENT_BIN skip the builds (for trying the script out, not for the record).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source "$top/Tools/bench/common.sh"
agents=${FLEET_AGENTS:-200}
rounds=${FLEET_ROUNDS:-5}
out="$top/Tools/bench/out/fleet"
rm -rf "$out"
mkdir -p "$out/stamps" "$out/state"
secret=fleet-bench-secret
log() { echo "bench-fleet: $*" >&2; }

trap stop_all_groups EXIT

build() { # app product -> binary path
    local cmd="nice swift build -c release --package-path Apps/$1 --product $2"
    log "$cmd"
    $cmd >"$out/build-$2.log" 2>&1 || { tail -30 "$out/build-$2.log" >&2; exit 1; }
    echo "$(swift build -c release --package-path "Apps/$1" --show-bin-path)/$2"
}
server_bin=${FLEET_SERVER_BIN:-$(build Server prostagma-server)}
agent_bin=${FLEET_AGENT_BIN:-$(build Agent prostagma-agent)}
built="release builds"
[ -n "${FLEET_SERVER_BIN:-}${FLEET_AGENT_BIN:-}" ] && built="binaries given by FLEET_SERVER_BIN/FLEET_AGENT_BIN"

ulimit -n 65536 2>/dev/null || ulimit -n 8192 2>/dev/null || true
port=$(free_port)
base="http://127.0.0.1:$port"
PROSTAGMA_HOST="127.0.0.1:$port" PROSTAGMA_SECRET=$secret PROSTAGMA_DATA="$out/data" PROSTAGMA_LOG_FORMAT=text \
    start_group "$server_bin" >"$out/server.log" 2>&1
server_pid=$started
for _ in $(seq 200); do curl -s -o /dev/null "$base/healthz" && break; sleep 0.05; done
curl -sf -o /dev/null "$base/healthz" || { log "the server did not start"; cat "$out/server.log" >&2; exit 1; }
rss_idle=$(awk '/^VmRSS/ {print $2}' "/proc/$server_pid/status")

printf 'steps:\n  - shell: echo "$PROSTAGMA_COUNT $EPOCHREALTIME" >> %s/"$PROSTAGMA_AGENT_NAME"\n' "$out/stamps" \
    >"$out/deploy.yaml"
agent_pids=()
log "starting $agents agents"
for i in $(seq "$agents"); do
    name=$(printf 'fleet-%03d' "$i")
    mkdir -p "$out/state/$name"
    PROSTAGMA_HOST=$base PROSTAGMA_SECRET=$secret PROSTAGMA_TRIGGER=fleet PROSTAGMA_SCRIPT="$out/deploy.yaml" \
        PROSTAGMA_STATE="$out/state/$name" PROSTAGMA_SHELL=/bin/bash PROSTAGMA_AGENT_NAME=$name \
        start_group "$agent_bin" >"$out/state/$name/agent.log" 2>&1
    agent_pids+=("$started")
done

fleet_cmd="python3 Tools/bench/e2e/fleet.py --port PORT --secret S --stamps DIR --agents $agents --rounds $rounds --server-pid PID"
log "$fleet_cmd"
result=$(python3 Tools/bench/e2e/fleet.py --port "$port" --secret $secret --stamps "$out/stamps" \
    --agents "$agents" --rounds "$rounds" --server-pid "$server_pid")
log "$result"
agents_rss=0
agents_anon=0
for pid in "${agent_pids[@]}"; do
    agents_rss=$((agents_rss + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")))
    agents_anon=$((agents_anon + $(awk '/^RssAnon/ {print $2}' "/proc/$pid/status")))
done

mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
cat <<MD | Tools/bench/update-section.sh fleet
## fleet: $agents real agents on one trigger

Command: \`bash Tools/bench/bench-fleet.sh\` ($built, FLEET_AGENTS=$agents,
FLEET_ROUNDS=$rounds), $(date -u +%Y-%m-%d), $cores cores, $mem. $agents \`prostagma-agent\` processes, each with its own \`PROSTAGMA_AGENT_NAME\` and state
directory, watch the trigger \`fleet\` over v1 long polls. Each runs one bash step,
\`echo "\$PROSTAGMA_COUNT \$EPOCHREALTIME" >> STAMPS/NAME\`. Then
\`$fleet_cmd\`
waits until all $agents are on their long polls, sends the increment, and waits for every agent's stamp; a
latency is a stamp minus the clock just before the POST. The agents, their $agents bash processes and the server share the same cores.

| measure | prostagma ($agents agents) | original |
| --- | --- | --- |
| trigger → run start, p50 | $(field "$result" p50_ms) ms | 5 s poll: 0–5 s, about 2.5 s |
| trigger → run start, p99 | $(field "$result" p99_ms) ms | about 5 s |
| trigger → the last agent's start, p50 of $rounds rounds | $(field "$result" last_start_p50_ms) ms | |
| server CPU time per round (answers, $agents run reports, polls re-opened) | $(field "$result" server_cpu_s_per_round) s | |
| server resident memory: idle / with the fleet (VmRSS) / peak (VmHWM) | $(mib "$rss_idle") / $(mib "$(field "$result" server_rss_kib)") / $(mib "$(field "$result" server_hwm_kib)") | |
| agents' resident memory, all $agents: VmRSS / of which anonymous (RssAnon) | $(mib "$agents_rss") / $(mib "$agents_anon") | |

VmRSS counts each agent's mapped pages of the shared executable again; RssAnon is what the agents allocated.
The server's share is small (its CPU time per round above); the spread is the agents': each of the $agents wakes,
records the run as started on disk (fsync) before running it, and starts bash, all on the same $cores cores.
MD
