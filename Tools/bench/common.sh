# Helpers the bench-*.sh scripts share (sourced after `cd "$top"`).

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Requests/s (rounded) and mean latency from a wrk report file.
rps() { awk '/Requests\/sec/ {printf "%.0f", $2}' "$1"; }
lat() { awk '/^    Latency/ {print $2}' "$1"; }
# One top-level field of a JSON object given as text.
field() { python3 -c "import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])" "$1" "$2"; }
