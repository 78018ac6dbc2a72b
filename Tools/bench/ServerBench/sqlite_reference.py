#!/usr/bin/env python3
"""Reference for durable increments: Python's sqlite3, WAL + synchronous=FULL, one UPSERT per committed
transaction, one thread (what one fsync per increment costs on this disk). Prints increments/s."""
import os
import sqlite3
import sys
import tempfile
import time

n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
with tempfile.TemporaryDirectory() as d:
    db = sqlite3.connect(os.path.join(d, "ref.sqlite"), isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("CREATE TABLE triggers (name TEXT PRIMARY KEY, count INTEGER NOT NULL, last_increment REAL)")
    start = time.perf_counter()
    for _ in range(n):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO triggers VALUES ('bench', 1, ?) ON CONFLICT(name) DO UPDATE SET count = count + 1",
                   (time.time(),))
        db.execute("COMMIT")
    print(f"{n / (time.perf_counter() - start):.0f}")
