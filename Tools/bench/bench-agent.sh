#!/usr/bin/env bash
# Section `agent` of docs/benchmarks.md: how light prostagma-agent is.
#   1. size of the release binary linked with --static-swift-stdlib, before and after strip;
#   2. resident memory and CPU time of an agent idle on a long poll for IDLE_SECONDS (default 60).
# The build is `make release`'s (Tools/release/make.mk): -Osize (the agent is I/O-bound: size matters more than
# speed), --no-export-dynamic (SwiftPM exports every symbol of an executable; nothing loads plugins into the
# agent). The server is the stand-in
# of Apps/Agent's tests (Python, v1 long poll, 30 s waits), so only the agent is
# measured. The reference is the original Go agent's published figures (issue 8: a 14 MB binary idling at
# about 8 MB resident); its binary is not available on this machine to run side by side.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
idle=${IDLE_SECONDS:-60}
out="$top/Tools/bench/out/agent"
rm -rf "$out"
mkdir -p "$out"

build_cmd="$(make -s --no-print-directory print-release-agent) --product prostagma-agent"  # as `make release`
echo "bench-agent: $build_cmd" >&2
$build_cmd >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; exit 1; }
bin_dir=$($build_cmd --show-bin-path)
cp "$bin_dir/prostagma-agent" "$out/prostagma-agent"
unstripped=$(stat -c %s "$out/prostagma-agent")
modules=$(python3 Tools/bench/size_by_module.py "$out/prostagma-agent" 12 | python3 -c \
    "import json,sys; print(', '.join(f'{n} {s}' for n, s in json.load(sys.stdin)['modules']))")
strip "$out/prostagma-agent"
stripped=$(stat -c %s "$out/prostagma-agent")
linked=$(ldd "$out/prostagma-agent" 2>&1 | awk '{print $1}' | tr '\n' ' ')
icu=$(strings "$out/prostagma-agent" | grep -c -i 'icudt\|ucol_open' || true)

# Stand-in server (v1) and an agent that adopts the current count and then waits on the long poll.
python3 Apps/Agent/Tests/AgentCoreTests/Support/standin_server.py --mode v1 --secret bench >"$out/server.port" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null || true; [ -n "${agent_pid:-}" ] && kill $agent_pid 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -s "$out/server.port" ] && break; sleep 0.1; done
port=$(head -1 "$out/server.port")
printf 'steps:\n  - shell: echo deployed\n' >"$out/deploy.yaml"
PROSTAGMA_HOST="http://127.0.0.1:$port" PROSTAGMA_SECRET=bench PROSTAGMA_TRIGGER=bench \
    PROSTAGMA_SCRIPT="$out/deploy.yaml" PROSTAGMA_STATE="$out/state" \
    "$out/prostagma-agent" >"$out/agent.log" 2>&1 &
agent_pid=$!
sleep 2  # start-up: connect, adopt the count, open the first long poll
read_cpu() { awk '{print $14 + $15}' "/proc/$agent_pid/stat"; }
ticks=$(getconf CLK_TCK)
cpu_start=$(read_cpu)
sleep "$idle"
cpu_end=$(read_cpu)
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$agent_pid/status")
hwm_kb=$(awk '/VmHWM/ {print $2}' "/proc/$agent_pid/status")
anon_kb=$(awk '/RssAnon/ {print $2}' "/proc/$agent_pid/status")
file_kb=$(awk '/RssFile/ {print $2}' "/proc/$agent_pid/status")
threads=$(awk '/Threads/ {print $2}' "/proc/$agent_pid/status")
total_cpu=$(read_cpu)
polls=$(grep -c '' "$out/agent.log" || true)
kill -TERM $agent_pid
wait $agent_pid 2>/dev/null || true
agent_pid=

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
cpu_idle_s=$(awk -v a="$cpu_start" -v b="$cpu_end" -v t="$ticks" 'BEGIN { printf "%.2f", (b - a) / t }')
cpu_total_s=$(awk -v a="$total_cpu" -v t="$ticks" 'BEGIN { printf "%.2f", a / t }')
cores=$(nproc)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)

cat <<MD | Tools/bench/update-section.sh agent
## agent: binary size and idle cost

Command: \`bash Tools/bench/bench-agent.sh\` (IDLE_SECONDS=$idle), which runs
\`$build_cmd\`, strips the binary, then starts it against the v1 stand-in server of the agent's tests
and samples \`/proc/PID/status\` and \`/proc/PID/stat\` while it waits on 30 s long polls for $idle s.
Machine: $cores cores, $mem; shared with other builds while measured (noisy).

| measure | prostagma-agent | original Go agent (published, not run here) |
| --- | --- | --- |
| release binary, static Swift stdlib | $(mib "$unstripped") | |
| same, stripped | $(mib "$stripped") | 14 MB |
| resident memory idle on a long poll (VmRSS) | $(mib $((rss_kb * 1024))) (peak $(mib $((hwm_kb * 1024)))) | about 8 MB |
| of which anonymous (heap, stacks: RssAnon) | $(mib $((anon_kb * 1024))) | |
| of which file-backed (the binary's pages: RssFile) | $(mib $((file_kb * 1024))) | |
| CPU time during $idle s idle | ${cpu_idle_s} s | polls every 5 s |
| CPU time since start (incl. start-up) | ${cpu_total_s} s | |
| threads | $threads | |

RssFile is clean pages of the executable mapped from the page cache (shared, dropped first under memory
pressure); it grows with the binary's size. RssAnon is what the agent itself allocated. Once the server first
answers, the agent drops start-up's read-only pages from its page tables (\`StartupPages\`, docs/decisions.md):
the peak is the resident set before that, the idle figure what the waiting agent has faulted back in since.
Dynamic libraries still linked: \`$linked\`. ICU symbols in the binary: $icu (AgentCore uses
FoundationEssentials, not Foundation, so ICU's data is not linked).
The largest modules by symbol size, MiB (\`python3 Tools/bench/size_by_module.py BINARY 12\`, before strip):
$modules.
MD
echo "bench-agent: stripped $(mib "$stripped"), idle RSS $(mib $((rss_kb * 1024))) (anon $(mib $((anon_kb * 1024)))), idle CPU ${cpu_idle_s}s" >&2
