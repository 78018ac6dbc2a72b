#!/usr/bin/env bash
# Section `server` of docs/benchmarks.md: prostagma-server (release build) under load.
#   1. GET /trigger (original API, JSON body on a GET), /metrics and POST /trigger (durable increments) under
#      wrk; references in the same run: the original Go server built from ../shared/reference
#      (build-original.sh, Debian's Go packages), measured interleaved with ours, and nginx answering a fixed
#      JSON body (`return 200`), an upper bound for HTTP/1.1 req/s on this machine.
#   2. Durable increments/s with one connection (fsync-bound) and with 64 (group commit); reference:
#      Python sqlite3, WAL + synchronous=FULL, one committed UPSERT per increment.
#   3. Wake-up latency of 1 and 1,000 long polls on one trigger, over 10 rounds (Tools/bench/e2e/waiters.py), and
#      the server's CPU time per round.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source "$top/Tools/bench/common.sh"
duration=${BENCH_SECONDS:-10}
out="$top/Tools/bench/out/server"
rm -rf "$out"
mkdir -p "$out"
export BENCH_SECRET=bench-secret

build_cmd="swift build --package-path Apps/Server -c release --product prostagma-server"
# BENCH_SERVER_BIN=PATH: measure that release binary, already built (a machine whose builds are serialised).
if [ -n "${BENCH_SERVER_BIN:-}" ]; then
    bin=$BENCH_SERVER_BIN
else
    echo "bench-server: $build_cmd" >&2
    $build_cmd >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; exit 1; }
    bin="$(swift build --package-path Apps/Server -c release --show-bin-path)/prostagma-server"
fi

port=$(free_port)
PROSTAGMA_HOST="127.0.0.1:$port" PROSTAGMA_SECRET=$BENCH_SECRET PROSTAGMA_DATA="$out/data" \
    PROSTAGMA_LOG_FORMAT=text "$bin" >"$out/server.log" 2>&1 &
server_pid=$!
nginx_pid=
orig_pid=
cleanup() {
    kill "$server_pid" 2>/dev/null || true
    [ -n "$orig_pid" ] && kill "$orig_pid" 2>/dev/null || true
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null || true
    wait 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 200); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.05; done
base="http://127.0.0.1:$port"
curl -s -X POST -d "{\"secret\": \"$BENCH_SECRET\", \"trigger\": \"bench\"}" "$base/trigger" >/dev/null


# Reference: the original Go server, side by side, measured interleaved with ours (best of the rounds).
orig_dir="$out/original"
mkdir -p "$orig_dir"
echo "bench-server: bash ../shared/reference/build-original.sh $orig_dir/prostagma" >&2
bash "$top/../shared/reference/build-original.sh" "$orig_dir/prostagma" >"$out/build-original.log" 2>&1 \
    || { tail -20 "$out/build-original.log" >&2; exit 1; }
orig_port=$(free_port)
(cd "$orig_dir" && PROSTAGMA_HOST="127.0.0.1:$orig_port" PROSTAGMA_SECRET=$BENCH_SECRET exec ./prostagma server \
    >"$out/original.log" 2>&1) &
orig_pid=$!
orig="http://127.0.0.1:$orig_port"
for _ in $(seq 200); do curl -s -o /dev/null "$orig/metrics" && break; sleep 0.05; done
curl -s -X POST -d "{\"secret\": \"$BENCH_SECRET\", \"trigger\": \"bench\"}" "$orig/trigger" >/dev/null
rounds=${BENCH_ROUNDS:-3}
cmp_seconds=${BENCH_COMPARE_SECONDS:-5}
wrk_cmp_get="wrk -t2 -c64 -d${cmp_seconds}s -s Tools/bench/ServerBench/get_trigger.lua URL/trigger"
wrk_cmp_metrics="wrk -t2 -c64 -d${cmp_seconds}s URL/metrics"
best() { sort -n | tail -1; }
# CPU time per request (utime + stime of the server over one wrk run, divided by the requests wrk completed): moves
# less with the machine's load than req/s does, since wrk and the servers share the cores.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
ticks_per_second=$(getconf CLK_TCK)
timed_wrk() { # server pid, wrk output file, wrk arguments... -> prints the server's CPU µs per request
    local pid=$1 file=$2 before after; shift 2
    before=$(cpu_ticks "$pid"); wrk "$@" >"$file"; after=$(cpu_ticks "$pid")
    python3 -c "import sys; print(round((int(sys.argv[2]) - int(sys.argv[1])) * 1e6 / int(sys.argv[3]) / int(sys.argv[4]), 1))" \
        "$before" "$after" "$ticks_per_second" "$(awk '/requests in/ {print $1}' "$file")"
}
ours_get=(); orig_get=(); ours_metrics=(); orig_metrics=(); ours_get_cpu=(); orig_get_cpu=()
for round in $(seq "$rounds"); do
    echo "bench-server: round $round of $rounds: GET /trigger and /metrics, ours then the original" >&2
    ours_get_cpu+=("$(timed_wrk "$server_pid" "$out/cmp-ours-get-$round.txt" \
        -t2 -c64 -d"${cmp_seconds}"s -s Tools/bench/ServerBench/get_trigger.lua "$base/trigger")")
    orig_get_cpu+=("$(timed_wrk "$orig_pid" "$out/cmp-orig-get-$round.txt" \
        -t2 -c64 -d"${cmp_seconds}"s -s Tools/bench/ServerBench/get_trigger.lua "$orig/trigger")")
    wrk -t2 -c64 -d"${cmp_seconds}"s "$base/metrics" >"$out/cmp-ours-metrics-$round.txt"
    wrk -t2 -c64 -d"${cmp_seconds}"s "$orig/metrics" >"$out/cmp-orig-metrics-$round.txt"
    ours_get+=("$(rps "$out/cmp-ours-get-$round.txt")")
    orig_get+=("$(rps "$out/cmp-orig-get-$round.txt")")
    ours_metrics+=("$(rps "$out/cmp-ours-metrics-$round.txt")")
    orig_metrics+=("$(rps "$out/cmp-orig-metrics-$round.txt")")
done
non2xx() { awk '/Non-2xx/ {print $5}' "$1"; }
for f in "$out"/cmp-*.txt; do
    [ -z "$(non2xx "$f")" ] || { echo "bench-server: non-2xx answers in $f" >&2; cat "$f" >&2; exit 1; }
done
kill "$orig_pid" 2>/dev/null || true
orig_pid=
ratio() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.2f}')" "$1" "$2"; }
best_ours_get=$(printf '%s\n' "${ours_get[@]}" | best)
best_orig_get=$(printf '%s\n' "${orig_get[@]}" | best)
best_ours_metrics=$(printf '%s\n' "${ours_metrics[@]}" | best)
best_orig_metrics=$(printf '%s\n' "${orig_metrics[@]}" | best)

# Reference: nginx with a fixed JSON answer.
nginx_port=$(free_port)
mkdir -p "$out/nginx"
cat >"$out/nginx/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $out/nginx;
    server {
        listen 127.0.0.1:$nginx_port;
        location / { default_type application/json; return 200 '{"count":1,"trigger":"bench"}'; }
    }
}
NGINX
nginx -c "$out/nginx/nginx.conf" -p "$out/nginx" &
nginx_pid=$!
sleep 0.5

wrk_get="wrk -t2 -c64 -d${duration}s -s Tools/bench/ServerBench/get_trigger.lua $base/trigger"
wrk_post="wrk -t2 -c64 -d${duration}s -s Tools/bench/ServerBench/post_trigger.lua $base/trigger"
wrk_post1="wrk -t1 -c1 -d${duration}s -s Tools/bench/ServerBench/post_trigger.lua $base/trigger"
wrk_nginx="wrk -t2 -c64 -d${duration}s -s Tools/bench/ServerBench/get_trigger.lua http://127.0.0.1:$nginx_port/trigger"
echo "bench-server: $wrk_get" >&2
$wrk_get >"$out/get.txt"
echo "bench-server: $wrk_post" >&2
before=$(curl -s -X GET -d "{\"secret\": \"$BENCH_SECRET\", \"trigger\": \"bench\"}" "$base/trigger" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
$wrk_post >"$out/post.txt"
after=$(curl -s -X GET -d "{\"secret\": \"$BENCH_SECRET\", \"trigger\": \"bench\"}" "$base/trigger" | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')
echo "bench-server: $wrk_post1" >&2
$wrk_post1 >"$out/post1.txt"
echo "bench-server: $wrk_nginx" >&2
$wrk_nginx >"$out/nginx.txt"
kill "$nginx_pid" 2>/dev/null || true
nginx_pid=
sqlite_ref=$(python3 Tools/bench/ServerBench/sqlite_reference.py 500)

# Long-poll wake-up latency.
ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true
wake1=$(python3 Tools/bench/e2e/waiters.py --port "$port" --secret $BENCH_SECRET --polls 1 --rounds 10 --pid "$server_pid")
wake1000=$(python3 Tools/bench/e2e/waiters.py --port "$port" --secret $BENCH_SECRET --polls 1000 --rounds 10 \
    --pid "$server_pid")
rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$server_pid/status")
posted=$((after - before))
errors_post=$(awk '/Non-2xx/ {print $5}' "$out/post.txt"); errors_post=${errors_post:-0}

cores=$(nproc)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
cat <<MD | Tools/bench/update-section.sh server
## server: requests/s, durable increments, long-poll wake-up

\`bash Tools/bench/bench-server.sh\` (release build, \`BENCH_SECONDS=$duration\`), $(date -u +%Y-%m-%d), $cores cores,
$mem. The machine is shared and was busy with other builds and tests during the run: treat the figures as
lower bounds and compare within the table, not across runs. wrk, the Python clients and the server share
the same cores.

Side by side with the original Go server (built by \`../shared/reference/build-original.sh\`, both servers up
at once, $rounds interleaved rounds of ${cmp_seconds} s each, best round; every round's figure in brackets):

| route | prostagma-server | original | ours ÷ original |
| --- | --- | --- | --- |
| \`GET /trigger\` (JSON body), wrk -t2 -c64 | $best_ours_get req/s (${ours_get[*]}) | $best_orig_get req/s (${orig_get[*]}) | $(ratio "$best_ours_get" "$best_orig_get")× |
| \`GET /trigger\`: server CPU time per request, each round | ${ours_get_cpu[*]} µs | ${orig_get_cpu[*]} µs | |
| \`/metrics\`, wrk -t2 -c64 | $best_ours_metrics req/s (${ours_metrics[*]}) | $best_orig_metrics req/s (${orig_metrics[*]}) | $(ratio "$best_ours_metrics" "$best_orig_metrics")× |

Commands: \`$wrk_cmp_get\` and \`$wrk_cmp_metrics\`, URL being each server in turn. Concurrent
\`POST /trigger\` is not compared: the original crashes under it ("concurrent map writes").

| measurement | prostagma-server | reference (same run) |
| --- | --- | --- |
| \`GET /trigger\` (JSON body), wrk -t2 -c64 | $(rps "$out/get.txt") req/s, mean latency $(lat "$out/get.txt") | nginx fixed JSON: $(rps "$out/nginx.txt") req/s |
| \`POST /trigger\` (durable increment), wrk -t2 -c64 | $(rps "$out/post.txt") req/s ($posted increments committed, $errors_post non-2xx) | — |
| durable increments, 1 connection (fsync per commit) | $(rps "$out/post1.txt") /s, mean latency $(lat "$out/post1.txt") | Python sqlite3 WAL+FULL, 1 commit per increment: $sqlite_ref /s |
| long-poll wake-up, 1 poll, 10 rounds | p50 $(field "$wake1" p50_ms) ms, max $(field "$wake1" max_ms) ms | original: 0–5 s polling |
| long-poll wake-up, 1,000 polls, 10 rounds (10,000 answers) | p50 $(field "$wake1000" p50_ms) ms, p99 $(field "$wake1000" p99_ms) ms, max $(field "$wake1000" max_ms) ms; median of the rounds' p99 $(field "$wake1000" round_p99_median_ms) ms; server CPU $(field "$wake1000" server_cpu_ms_per_round) ms per round | budget: p99 < 50 ms (issue 17 aims at < 15 ms) |
| server peak resident memory (VmHWM) after all of the above | $((rss_kb / 1024)) MiB | |

Commands: \`$wrk_get\`; \`$wrk_post\`; \`$wrk_post1\`; nginx: \`$wrk_nginx\`;
\`python3 Tools/bench/e2e/waiters.py --port PORT --secret S --polls 1000 --rounds 10 --pid PID\` (one epoll
loop of plain sockets: opens the polls, waits until \`prostagma_watchers\` shows them all, increments, times each
answer from the increment's send; again on the same connections for each round). Durable = \`synchronous=FULL\` in WAL mode, group commit (docs/server.md).
MD
echo "bench-server: done" >&2
