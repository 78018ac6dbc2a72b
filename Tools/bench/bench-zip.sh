#!/usr/bin/env bash
# ZipReader extraction vs Info-ZIP `unzip -o -q`, same archives, same run (section `zip` of docs/benchmarks.md).
# Archives: ~200 MB of many small files, ~200 MB of a few large files; each extraction is timed RUNS times,
# alternating the two tools, into a fresh directory; the median is reported. Then peak RSS (/usr/bin/time -v)
# while extracting one 1 GB entry, for both tools.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
RUNS=${RUNS:-3}
work="$top/Tools/bench/out/zip"
mkdir -p "$work"

swift build --package-path Packages/ZipReader -c release --product zipreader >/dev/null
zr="$top/Packages/ZipReader/.build/release/zipreader"

make_data() {
    # Deterministic content: base64 of seeded random bytes (compresses to ~75%) and repetitive text.
    python3 - "$work" <<'PY'
import base64, os, random, sys
work = sys.argv[1]
rng = random.Random(42)
small = os.path.join(work, "small-src")
if not os.path.exists(os.path.join(small, ".done")):
    for i in range(20000):
        d = os.path.join(small, "pkg%02d" % (i % 50), "mod%03d" % (i % 700))
        os.makedirs(d, exist_ok=True)
        raw = rng.randbytes(9000)
        body = base64.encodebytes(raw) if i % 4 else (b"log line %d with some repeated words\n" % i) * 300
        with open(os.path.join(d, "file%05d.txt" % i), "wb") as f:
            f.write(body)
    open(os.path.join(small, ".done"), "w").close()
large = os.path.join(work, "large-src")
if not os.path.exists(os.path.join(large, ".done")):
    os.makedirs(large, exist_ok=True)
    for i in range(4):
        with open(os.path.join(large, "blob%d.bin" % i), "wb") as f:
            for _ in range(50):
                chunk = rng.randbytes(1 << 20)
                f.write(chunk if i % 2 == 0 else base64.encodebytes(chunk)[: 1 << 20])
    open(os.path.join(large, ".done"), "w").close()
PY
    [ -f "$work/small.zip" ] || (cd "$work/small-src" && zip -q -r -X "$work/small.zip" . -x .done)
    [ -f "$work/large.zip" ] || (cd "$work/large-src" && zip -q -r -X "$work/large.zip" . -x .done)
    if [ ! -f "$work/gig.zip" ]; then
        mkdir -p "$work/gig-src"
        head -c 805306368 /dev/urandom | base64 -w 0 | head -c 1073741824 >"$work/gig-src/one-gigabyte.txt"
        (cd "$work/gig-src" && zip -q -1 "$work/gig.zip" one-gigabyte.txt)
        rm -rf "$work/gig-src"
    fi
}

seconds() { # command... -> elapsed seconds
    local start end
    start=$(date +%s.%N)
    "$@" >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc -l
}

timed() { # command... -> "elapsed cpu" (cpu = user + system seconds, steadier than elapsed on a busy machine)
    /usr/bin/time -f "%e %U %S" "$@" 2>&1 >/dev/null | tail -1 | awk '{printf "%s %.2f\n", $1, $2 + $3}'
}

median() { sort -n | awk '{a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "%.2f", m}'; }

bench_archive() { # archive -> "unzip_elapsed ours_elapsed unzip_cpu ours_cpu" (medians)
    local archive=$1 out="$work/out" ue=() ze=() uc=() zc=() e c
    for _ in $(seq "$RUNS"); do
        rm -rf "$out"; mkdir -p "$out"; sync
        read -r e c < <(timed unzip -o -q "$archive" -d "$out"); ue+=("$e"); uc+=("$c")
        rm -rf "$out"; sync
        read -r e c < <(timed "$zr" extract "$archive" "$out"); ze+=("$e"); zc+=("$c")
    done
    rm -rf "$out"
    echo "$(printf '%s\n' "${ue[@]}" | median) $(printf '%s\n' "${ze[@]}" | median)" \
        "$(printf '%s\n' "${uc[@]}" | median) $(printf '%s\n' "${zc[@]}" | median)"
}

peak_rss() { # command... -> peak RSS in MiB
    /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}'
}

make_data
read -r small_unzip small_ours small_unzip_cpu small_ours_cpu < <(bench_archive "$work/small.zip")
read -r large_unzip large_ours large_unzip_cpu large_ours_cpu < <(bench_archive "$work/large.zip")
rm -rf "$work/out"; mkdir -p "$work/out"
rss_unzip=$(peak_rss unzip -o -q "$work/gig.zip" -d "$work/out")
rm -rf "$work/out"
rss_ours=$(peak_rss "$zr" extract "$work/gig.zip" "$work/out")
rm -rf "$work/out"
gig_ours=$(seconds "$zr" extract "$work/gig.zip" "$work/out" | xargs printf "%.2f"); rm -rf "$work/out"
gig_unzip=$( (mkdir -p "$work/out"; seconds unzip -o -q "$work/gig.zip" -d "$work/out") | xargs printf "%.2f"); rm -rf "$work/out"

size() { du -m "$1" | cut -f1; }
count() { unzip -Z1 "$1" | wc -l; }
usize() { unzip -Zt "$1" | sed -E 's/.* ([0-9]+) bytes uncompressed.*/\1/' | awk '{printf "%d", $1/1048576}'; }
cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
ratio() { echo "$2 / $1" | bc -l | xargs printf "%.2f"; }

cat <<MD | bash "$top/Tools/bench/update-section.sh" zip
## ZipReader extraction vs Info-ZIP unzip

Command: \`make bench-zip\` (\`Tools/bench/bench-zip.sh\`, RUNS=$RUNS), $(date -u +%Y-%m-%d). Machine: $cores cores,
$mem; shared with other builds while measured, so figures are noisy: compare the two columns of a row, not
runs. Each time is the median of $RUNS extractions into a fresh directory, alternating the tools, page cache
warm. ZipReader checks every CRC, validates the whole directory first, writes to temporary names and renames.
Elapsed time is dominated by the file system (other helpers were writing to the same disk); the CPU columns
(user + system, median) are the steadier comparison.

| Archive | Entries | Archive MB | Uncompressed MB | \`unzip -o -q\` s | \`zipreader extract\` s | ours / unzip | unzip CPU s | zipreader CPU s |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
| many small files (\`small.zip\`) | $(count "$work/small.zip") | $(size "$work/small.zip") | $(usize "$work/small.zip") | $small_unzip | $small_ours | $(ratio "$small_unzip" "$small_ours") | $small_unzip_cpu | $small_ours_cpu |
| a few large files (\`large.zip\`) | $(count "$work/large.zip") | $(size "$work/large.zip") | $(usize "$work/large.zip") | $large_unzip | $large_ours | $(ratio "$large_unzip" "$large_ours") | $large_unzip_cpu | $large_ours_cpu |
| one 1 GiB entry (\`gig.zip\`, one run) | 1 | $(size "$work/gig.zip") | 1024 | $gig_unzip | $gig_ours | $(ratio "$gig_unzip" "$gig_ours") | | |

Peak resident memory extracting the 1 GiB entry (\`/usr/bin/time -v\`, "Maximum resident set size"):
\`zipreader\` **$rss_ours MiB**, \`unzip\` $rss_unzip MiB: extraction streams through 256 KiB buffers, so memory
does not grow with the entry.
MD
echo "bench-zip: small $small_unzip/$small_ours s (cpu $small_unzip_cpu/$small_ours_cpu), large $large_unzip/$large_ours s, gig $gig_unzip/$gig_ours s, RSS ours $rss_ours MiB unzip $rss_unzip MiB"
