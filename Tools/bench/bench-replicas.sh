#!/usr/bin/env bash
# Section `replicas` of docs/benchmarks.md: prostagma-server on PostgreSQL (issue 16), beside SQLite in the same run.
#   1. Durable increments/s with 64 connections (wrk -t2 -c64 POST /trigger): SQLite store, then one replica on
#      PostgreSQL 15 (a throwaway cluster made here with initdb/pg_ctl, fsync and synchronous_commit on).
#   2. Wake-up latency across replicas: 1,000 long polls split over two replicas, the increment sent to the
#      first (Tools/bench/e2e/waiters.py --poll-ports, WAKE_ROUNDS rounds, default 10).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
source "$top/Tools/bench/common.sh"
duration=${BENCH_SECONDS:-10}
out="$top/Tools/bench/out/replicas"
rm -rf "$out"
mkdir -p "$out"
export BENCH_SECRET=bench-secret

build_cmd="swift build --package-path Apps/Server -c release --product prostagma-server"
echo "bench-replicas: $build_cmd" >&2
$build_cmd >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; exit 1; }
bin="$(swift build --package-path Apps/Server -c release --show-bin-path)/prostagma-server"

pgbin=/usr/lib/postgresql/15/bin
[ -x "$pgbin/pg_ctl" ] || pgbin=$(pg_config --bindir)
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pgdir=$(mktemp -d /tmp/prostagma-bench-pg-XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$pgdir"
pgport=$(free_port)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
    rm -rf "$pgdir"
}
trap cleanup EXIT
as_postgres sh -c "umask 077; printf bench >'$pgdir/pw'"
as_postgres "$pgbin/initdb" -D "$pgdir/data" -U prostagma --pwfile="$pgdir/pw" --auth-host=scram-sha-256 \
    --auth-local=trust --locale=C --encoding=UTF8 >"$out/initdb.log" 2>&1
as_postgres "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $pgport -c unix_socket_directories=$pgdir -c max_connections=200" \
    start >"$out/pg_ctl.log" 2>&1
url="postgres://prostagma:bench@127.0.0.1:$pgport/postgres"

start_server() { # name port [database url]
    local name=$1 port=$2 db=${3:-}
    PROSTAGMA_HOST="127.0.0.1:$port" PROSTAGMA_SECRET=$BENCH_SECRET PROSTAGMA_DATA="$out/$name" \
        PROSTAGMA_DATABASE_URL="$db" PROSTAGMA_LOG_FORMAT=text "$bin" >"$out/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 400); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && return 0; sleep 0.05; done
    echo "bench-replicas: $name did not start" >&2; tail -20 "$out/$name.log" >&2; exit 1
}
sqlite_port=$(free_port); start_server sqlite "$sqlite_port"
a_port=$(free_port); start_server replica-a "$a_port" "$url"
b_port=$(free_port); start_server replica-b "$b_port" "$url"

count() { curl -s -X GET -d "{\"secret\": \"$BENCH_SECRET\", \"trigger\": \"bench\"}" "http://127.0.0.1:$1/trigger" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])'; }
errors() { local e; e=$(awk '/Non-2xx/ {print $5}' "$1"); echo "${e:-0}"; }

wrk_sqlite="wrk -t2 -c64 -d${duration}s -s Tools/bench/ServerBench/post_trigger.lua http://127.0.0.1:$sqlite_port/trigger"
wrk_pg="wrk -t2 -c64 -d${duration}s -s Tools/bench/ServerBench/post_trigger.lua http://127.0.0.1:$a_port/trigger"
echo "bench-replicas: $wrk_sqlite" >&2
before=$(count "$sqlite_port"); $wrk_sqlite >"$out/sqlite.txt"; sqlite_done=$(($(count "$sqlite_port") - before))
echo "bench-replicas: $wrk_pg" >&2
before=$(count "$a_port"); $wrk_pg >"$out/postgres.txt"; pg_done=$(($(count "$a_port") - before))

ulimit -n 65536 2>/dev/null || ulimit -n 4096 2>/dev/null || true
rounds=${WAKE_ROUNDS:-10}
# waiters.py: one epoll loop of plain sockets (an asyncio client, used before, spent a share of the same
# 2 cores reading 1,000 answers), several rounds, the polls re-sent after each increment.
wake="python3 Tools/bench/e2e/waiters.py --port $a_port --poll-ports $a_port,$b_port --secret $BENCH_SECRET --polls 1000 --rounds $rounds --trigger bench-wake"
echo "bench-replicas: $wake" >&2
wake_json=$($wake)
wake_same=$(python3 Tools/bench/e2e/waiters.py --port "$a_port" --secret $BENCH_SECRET --polls 1000 \
    --rounds "$rounds" --trigger bench-wake-same)

cores=$(nproc)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
cat <<MD | Tools/bench/update-section.sh replicas
## replicas: PostgreSQL store beside SQLite, wake-up across replicas

\`bash Tools/bench/bench-replicas.sh\` (release build, \`BENCH_SECONDS=$duration\`), $(date -u +%Y-%m-%d), $cores cores,
$mem. PostgreSQL 15 runs on the same machine (a throwaway cluster, \`fsync=on\`, \`synchronous_commit=on\`), as do
wrk and the Python clients: the figures are lower bounds for a database on its own host.

| measurement | result |
| --- | --- |
| durable increments, wrk -t2 -c64 \`POST /trigger\`, SQLite store | $(rps "$out/sqlite.txt") /s ($sqlite_done committed, $(errors "$out/sqlite.txt") non-2xx), mean latency $(lat "$out/sqlite.txt") |
| durable increments, wrk -t2 -c64 \`POST /trigger\`, PostgreSQL store (one replica) | $(rps "$out/postgres.txt") /s ($pg_done committed, $(errors "$out/postgres.txt") non-2xx), mean latency $(lat "$out/postgres.txt") (target ≥ 2,000/s) |
| wake-up of 1,000 long polls split over 2 replicas, increment on replica A, $rounds rounds | p50 $(field "$wake_json" p50_ms) ms, p99 $(field "$wake_json" p99_ms) ms of all $(field "$wake_json" samples) answers (median of the rounds' p99 $(field "$wake_json" round_p99_median_ms) ms), max $(field "$wake_json" max_ms) ms (budget p99 < 100 ms) |
| same, all 1,000 polls on replica A (no NOTIFY hop) | p50 $(field "$wake_same" p50_ms) ms, p99 $(field "$wake_same" p99_ms) ms (median of the rounds' p99 $(field "$wake_same" round_p99_median_ms) ms) |

Commands: \`$wrk_sqlite\`; \`$wrk_pg\`; \`$wake\`.
MD
echo "bench-replicas: done" >&2
