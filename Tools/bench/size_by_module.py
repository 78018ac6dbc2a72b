#!/usr/bin/env python3
"""What makes a binary large: the sizes of its defined symbols, summed by the module that owns them.

Swift symbols are attributed by the first module name in their demangling (`swift-demangle --compact`); C symbols
by prefix (BoringSSL's are `CNIOBoringSSL_...`, SQLite's `sqlite3...`); the rest is "C and runtime". Symbol sizes
cover code and data, not the metadata sections, relocations and unwind tables that make up the rest of the file,
so the total is below the file's size; the shares are what matters. Needs an unstripped binary.
Prints one JSON line: {"symbols_mib": total, "modules": [[name, mib], ...]} (the TOP largest, default 15).
Usage: size_by_module.py BINARY [TOP]
"""
import collections
import json
import re
import shutil
import subprocess
import sys


def main():
    binary = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    listing = subprocess.run(["nm", "-S", "--defined-only", binary], capture_output=True, text=True, check=True)
    rows = [line.split() for line in listing.stdout.splitlines()]
    rows = [(int(row[1], 16), row[3]) for row in rows if len(row) == 4]
    demangler = shutil.which("swift-demangle") or "/opt/swift/usr/bin/swift-demangle"
    names = "\n".join(name for _, name in rows)
    demangled = subprocess.run([demangler, "--compact"], input=names, capture_output=True, text=True,
                               check=True).stdout.split("\n")
    sizes = collections.Counter()
    module = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\.")
    for (size, name), text in zip(rows, demangled):
        if "BoringSSL" in name:
            owner = "BoringSSL (C)"
        elif name.startswith("sqlite3"):
            owner = "SQLite (C)"
        elif name.startswith(("$s", "_$s")):
            match = module.search(text)
            owner = match.group(1) if match else "Swift (unattributed)"
        else:
            owner = "C and runtime"
        sizes[owner] += size
    mib = lambda value: round(value / 1048576, 2)
    print(json.dumps({"symbols_mib": mib(sum(sizes.values())),
                      "modules": [[name, mib(size)] for name, size in sizes.most_common(top)]}))


if __name__ == "__main__":
    main()
