#!/usr/bin/env bash
# MiniYAML vs jpsim/Yams: MB/s parsing (and decoding) the same ~1 MiB build-script-like document.
# Run from the repo root (make bench does); rewrites the `yaml` section of docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
pkg=Tools/bench/YAMLBench
swift build --package-path "$pkg" -c release --product YAMLBench >&2
bin="$(swift build --package-path "$pkg" -c release --show-bin-path)/YAMLBench"
table=$("$bin" 7)
cores=$(nproc)
mem=$(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)
{
    echo "## yaml: MiniYAML vs Yams"
    echo
    echo "Command: \`bash Tools/bench/bench-yaml.sh\` (release build of Tools/bench/YAMLBench; Yams 6.2.2, which"
    echo "wraps libyaml in C). Machine: $cores cores, $mem, $(date -u +%Y-%m-%d). The machine was shared with"
    echo "other builds while this ran, so treat the figures as rough; both parsers ran in the same process."
    echo
    echo "$table"
} | bash Tools/bench/update-section.sh yaml
echo "$table"
