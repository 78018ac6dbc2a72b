#!/usr/bin/env bash
# Section `server-size` of docs/benchmarks.md: how large prostagma-server is, and what makes it large (issue 17).
#   - the release binary as `make server` builds it, before and after strip;
#   - the shared libraries it loads, with their sizes (the Swift runtime and Foundation are linked dynamically);
#   - the defined symbols' sizes by owning module (Tools/bench/size_by_module.py).
# PROSTAGMA_SERVER_BIN=path skips the build (for trying the script out, not for the record).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
out="$top/Tools/bench/out/server-size"
rm -rf "$out"
mkdir -p "$out"

if [ -n "${PROSTAGMA_SERVER_BIN:-}" ]; then
    bin=$PROSTAGMA_SERVER_BIN
    built="the binary given by PROSTAGMA_SERVER_BIN"
else
    build_cmd="swift build --package-path Apps/Server -c release --product prostagma-server"
    echo "bench-server-size: $build_cmd" >&2
    $build_cmd >"$out/build.log" 2>&1 || { tail -30 "$out/build.log" >&2; exit 1; }
    bin="$(swift build --package-path Apps/Server -c release --show-bin-path)/prostagma-server"
    built="\`$build_cmd\`, as \`make server\` builds it"
fi
cp "$bin" "$out/prostagma-server"
unstripped=$(stat -c %s "$out/prostagma-server")
modules=$(python3 Tools/bench/size_by_module.py "$out/prostagma-server" 16)
strip "$out/prostagma-server"
stripped=$(stat -c %s "$out/prostagma-server")

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }
libraries() { # the shared libraries loaded, "name size" per line, largest first
    ldd "$out/prostagma-server" | awk '$3 ~ /^\// {print $1, $3}' | while read -r name path; do
        echo "$name $(stat -L -c %s "$path")"
    done | sort -k2 -nr
}
libs=$(libraries)
swift_libs=$(echo "$libs" | awk '$1 ~ /swift|Foundation|dispatch|BlocksRuntime/ {s += $2} END {print s + 0}')
icu_libs=$(echo "$libs" | awk '$1 ~ /FoundationICU|FoundationInternationalization|libFoundation\.so/ {s += $2} END {print s + 0}')

{
    echo "## server-size: the server binary and what makes it large"
    echo
    echo "Command: \`bash Tools/bench/bench-server-size.sh\` ($built), $(date -u +%Y-%m-%d)."
    echo
    echo "| measure | size |"
    echo "| --- | --- |"
    echo "| release binary | $(mib "$unstripped") |"
    echo "| same, stripped | $(mib "$stripped") |"
    echo "| Swift runtime, Foundation and Dispatch loaded beside it | $(mib "$swift_libs") |"
    echo "| of which Foundation (full), FoundationInternationalization and ICU | $(mib "$icu_libs") |"
    echo
    echo "Symbols by module (\`python3 Tools/bench/size_by_module.py BINARY 16\`, before strip; code and data"
    echo "only, $(python3 -c "import json,sys; print(json.loads(sys.argv[1])['symbols_mib'])" "$modules") MiB in all; metadata, relocations and unwind tables are the rest):"
    echo
    echo "| module | MiB |"
    echo "| --- | --- |"
    python3 -c "import json,sys; [print(f'| {n} | {s} |') for n, s in json.loads(sys.argv[1])['modules']]" "$modules"
    echo
    echo "Shared libraries loaded: $(echo "$libs" | awk '{printf "%s%s (%.1f MiB)", (NR > 1 ? ", " : ""), $1, $2 / 1048576}')."
    echo
    echo "What makes it large, and what could go:"
    echo "- **Foundation with ICU** (the largest part, loaded beside the binary): GRDB and PostgresNIO import the"
    echo '  whole of Foundation (`grep -r "^import.*Foundation"` in their checkouts), so FoundationEssentials alone'
    echo "  cannot serve the server as it serves the agent. It stays while SQLite and PostgreSQL stay."
    echo "- **Two BoringSSLs**: NIOSSL's (TLS for the listener and the artifact fetches) and swift-crypto's, which"
    echo "  PostgresNIO needs for SCRAM-SHA-256 authentication. Each serves a feature."
    echo "- **AsyncHTTPClient** (artifact fetches) brings NIOHTTP2, Algorithms and swift-configuration whatever the"
    echo "  client uses; swift-service-lifecycle and PostgresNIO bring AsyncAlgorithms. Nothing here is unused by a"
    echo "  feature, so nothing was left out; replacing AsyncHTTPClient by an HTTP/1.1 client of our own is the"
    echo "  one lever left, not taken."
} | Tools/bench/update-section.sh server-size
