#!/usr/bin/env python3
"""Time of one 4 KiB write + fsync in DIR, N times (the floor under a durable commit on this disk).
Prints one JSON line: {"fsync_p50_ms": ..., "fsync_p99_ms": ...}. Usage: fsync_probe.py DIR [N]"""
import json
import os
import sys
import time

directory, n = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 50
path = os.path.join(directory, "fsync-probe")
times = []
with open(path, "wb") as handle:
    for _ in range(n):
        start = time.perf_counter()
        handle.write(os.urandom(4096))
        handle.flush()
        os.fsync(handle.fileno())
        times.append((time.perf_counter() - start) * 1000)
os.remove(path)
times.sort()
print(json.dumps({"fsync_p50_ms": round(times[len(times) // 2], 2),
                  "fsync_p99_ms": round(times[min(len(times) - 1, round(0.99 * (len(times) - 1)))], 2)}))
