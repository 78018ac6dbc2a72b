# Helpers the bench-*.sh scripts share (sourced after `cd "$top"`).

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Requests/s (rounded) and mean latency from a wrk report file.
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$1"; }
lat() { awk '/^    Latency/ {print $2}' "$1"; }
# One top-level field of a JSON object given as text.
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }

# Process groups: start_group CMD... runs CMD in a new session (its own process group) and records its pid in
# $started; stop_group PID stops one; stop_all_groups (for `trap stop_all_groups EXIT`) stops every group started,
# TERM first, then KILL.
groups=()
start_group() {
    setsid "$@" &
    started=$!
    groups+=("$started")
}
stop_group() {
    kill -TERM -- "-$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
}
stop_all_groups() {
    local pid
    for pid in "${groups[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
    sleep 0.3
    for pid in "${groups[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
