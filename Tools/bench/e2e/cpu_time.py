#!/usr/bin/env python3
"""Runs a command and writes its user and system CPU seconds and its wall-clock seconds ("USER SYS WALL")
to OUT; exits with its status. (/usr/bin/time without needing the `time` package; the wall clock starts
after Python's own start-up.) Usage: cpu_time.py OUT COMMAND [ARG...]"""
import resource
import subprocess
import sys
import time

start = time.perf_counter()
status = subprocess.call(sys.argv[2:])
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_utime:.3f} {usage.ru_stime:.3f} {wall:.3f}\n")
sys.exit(status)
