#!/usr/bin/env bash
# ArtifactCache throughput: ingest (put: probe, gzip-or-raw, SHA-256, fsync, commit) and read-back of compressible
# text, incompressible random bytes and a real zip archive, next to `gzip -1` and `cp` (each followed by an fsync
# of its output, as the cache does) and `gzip -dc` / `cat` on the same files in the same run.
# Usage: Tools/bench/bench-cache.sh   (CACHE_BENCH_MB=200 sets the size of each input; RUNS=3 the best-of count)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
mb=${CACHE_BENCH_MB:-200}
runs=${RUNS:-3}
mkdir -p Tools/bench/out
work=$(mktemp -d "$top/Tools/bench/out/cache.XXXXXX")
trap 'rm -rf "$work"' EXIT

swift build -c release --package-path Packages/ArtifactCache --product artifact-cache-bench >&2
bench=Packages/ArtifactCache/.build/release/artifact-cache-bench

echo "cache bench: generating ${mb} MB inputs in $work" >&2
# Text: log lines with varying numbers (compresses about 5-8x with gzip -1, like build logs or JSON).
awk -v limit=$((mb * 1000000)) 'BEGIN { srand(42); n = 0
    while (n < limit) {
        line = sprintf("2026-11-25T10:%02d:%02d.%03dZ INFO agent=host-%03d trigger=deploy-%d count=%d GET /v1/artifacts?url=https://example.com/app-%d.zip 200 %d bytes %.3fms\n",
            int(rand()*60), int(rand()*60), int(rand()*1000), int(rand()*500), int(rand()*40), int(rand()*100000),
            int(rand()*1000), int(rand()*100000000), rand()*50)
        printf "%s", line; n += length(line) } }' | head -c $((mb * 1000000)) >"$work/text"
head -c $((mb * 1000000)) /dev/urandom >"$work/random"
# Zip: a real archive of compiled toolchain files (already deflated, so it does not compress again).
find /opt/swift/usr/lib/swift -type f -size +100k | sort | awk -v limit=$((mb * 3 * 1000000)) '
    { cmd = "stat -c %s \"" $0 "\""; cmd | getline s; close(cmd); total += s; print; if (total > limit) exit }' |
    zip -q -1 -@ "$work/zip.zip" >/dev/null
mv "$work/zip.zip" "$work/zip"
for f in text random zip; do cat "$work/$f" >/dev/null; done  # all runs read from the page cache

now() { date +%s.%N; }
# best_of CMD...: the smallest wall time of $runs runs, in seconds.
best_of() {
    local best="" s e t
    for _ in $(seq "$runs"); do
        s=$(now); "$@"; e=$(now)
        t=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
        best=$(awk -v b="$best" -v t="$t" 'BEGIN { print (b == "" || t < b) ? t : b }')
    done
    echo "$best"
}
rate() { awk -v bytes="$1" -v t="$2" 'BEGIN { if (t < 0.001) t = 0.001; printf "%.0f", bytes / 1000000 / t }'; }
gzip_copy() { gzip -1 -c "$1" >"$2"; sync "$2"; rm -f "$2"; }
plain_copy() { cp "$1" "$2"; sync "$2"; rm -f "$2"; }

rows=""
for kind in text random zip; do
    input="$work/$kind"
    size=$(stat -c %s "$input")
    best_ingest="" best_read="" best_stored=""
    for _ in $(seq "$runs"); do
        rm -rf "$work/cache"
        read -r _ stored encoding ingest readback storedread < <("$bench" "$input" "$work/cache" 1)
        best_ingest=$(awk -v b="$best_ingest" -v t="$ingest" 'BEGIN { print (b == "" || t < b) ? t : b }')
        best_read=$(awk -v b="$best_read" -v t="$readback" 'BEGIN { print (b == "" || t < b) ? t : b }')
        best_stored=$(awk -v b="$best_stored" -v t="$storedread" 'BEGIN { print (b == "" || t < b) ? t : b }')
    done
    rm -rf "$work/cache"
    gzip -1 -c "$input" >"$work/$kind.gz"
    t_gzip=$(best_of gzip_copy "$input" "$work/out")
    t_cp=$(best_of plain_copy "$input" "$work/out")
    t_gunzip=$(best_of sh -c "gzip -dc '$work/$kind.gz' >/dev/null")
    t_cat=$(best_of sh -c "cat '$input' >/dev/null")
    ratio=$(awk -v a="$stored" -v b="$size" 'BEGIN { printf "%.2f", a / b }')
    gzratio=$(awk -v a="$(stat -c %s "$work/$kind.gz")" -v b="$size" 'BEGIN { printf "%.2f", a / b }')
    rm -f "$work/$kind.gz"
    rows+="| $kind | $((size / 1000000)) | $encoding, $ratio (gzip -1: $gzratio) | $(rate "$size" "$best_ingest") | $(rate "$size" "$t_gzip") | $(rate "$size" "$t_cp") | $(rate "$size" "$best_read") | $(rate "$stored" "$best_stored") | $(rate "$size" "$t_gunzip") | $(rate "$size" "$t_cat") |"$'\n'
done

cores=$(nproc)
mem=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
{
    echo "## cache"
    echo
    echo "ArtifactCache ingest and read-back, command: \`Tools/bench/bench-cache.sh\` (CACHE_BENCH_MB=$mb, best of $runs,"
    echo "release build of \`artifact-cache-bench\`), $(date -u +%Y-%m-%d), $cores cores, $mem, inputs and cache on the same disk,"
    echo "inputs in the page cache. The machine was shared with other builds while this ran: figures are noisy."
    echo
    echo "- *cache ingest*: \`put\` from a 1 MiB-chunked file stream: compression probe, gzip level 1 or raw, SHA-256 of"
    echo "  the original bytes, fsync, rename, record write, fsync. Reference: \`gzip -1 -c IN > OUT; sync OUT\` and"
    echo "  \`cp IN OUT; sync OUT\` (no hashing)."
    echo "- *cache read-back*: the original bytes via \`CachedArtifact.bytes()\` (decompressing gzip-stored entries);"
    echo "  *stored read*: \`storedBytes()\`, what a client sending \`Accept-Encoding: gzip\` gets. Reference: \`gzip -dc\`"
    echo "  of the \`gzip -1\` file and \`cat\`, both to /dev/null. MB = 10^6 bytes, rates in MB/s of original bytes"
    echo "  (stored read: of stored bytes)."
    echo "- zip: a \`zip -1\` archive of toolchain files from /opt/swift/usr/lib/swift (real compiled code, deflated)."
    echo
    echo "| data | MB | stored as, stored/original | cache ingest | gzip -1 | cp | cache read-back | cache stored read | gzip -dc | cat |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"
    printf "%s" "$rows"
} | tee /dev/stderr | Tools/bench/update-section.sh cache
