#!/usr/bin/env bash
# Replaces one section of docs/benchmarks.md with the markdown read from stdin.
# Usage: some-benchmark | Tools/bench/update-section.sh NAME
# A section lives between "<!-- BEGIN NAME -->" and "<!-- END NAME -->"; it is appended if absent.
set -euo pipefail
name=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
doc="$top/docs/benchmarks.md"
new=$(mktemp)
cat >"$new"
python3 - "$doc" "$name" "$new" <<'PY'
import sys, re
doc, name, new = sys.argv[1], sys.argv[2], open(sys.argv[3]).read().rstrip("\n")
text = open(doc).read()
begin, end = f"<!-- BEGIN {name} -->", f"<!-- END {name} -->"
block = f"{begin}\n{new}\n{end}"
pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
open(doc, "w").write(text)
PY
rm -f "$new"
