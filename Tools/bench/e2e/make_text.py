#!/usr/bin/env python3
"""Writes SIZE_MB (10^6 bytes) of log-like text to PATH, deterministic (seeded), compressible like real logs.
Usage: make_text.py PATH SIZE_MB"""
import random
import sys

path, size = sys.argv[1], int(sys.argv[2]) * 1_000_000
rng = random.Random(9)
paths = ["/v1/triggers/web", "/v1/artifacts", "/healthz", "/metrics", "/v1/runs", "/trigger", "/"]
levels = ["info", "info", "info", "debug", "notice", "warning"]
written = 0
with open(path, "w") as out:
    line_number = 0
    while written < size:
        lines = []
        for _ in range(10_000):
            line_number += 1
            lines.append(f"2026-11-25T12:{line_number // 60000 % 60:02d}:{line_number // 1000 % 60:02d}."
                         f"{line_number % 1000:03d}Z {rng.choice(levels)} request id={rng.getrandbits(48):012x} "
                         f"path={rng.choice(paths)} status={rng.choice((200, 200, 200, 304, 404))} "
                         f"bytes={rng.randrange(100000)} duration_ms={rng.random() * 50:.3f}\n")
        block = "".join(lines)
        block = block[: size - written]
        out.write(block)
        written += len(block)
