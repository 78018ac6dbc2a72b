#!/usr/bin/env python3
"""Trigger -> run start across a fleet of real prostagma-agent processes watching one trigger.

Each agent runs a script of one shell step (bash), `echo "$PROSTAGMA_COUNT $EPOCHREALTIME" >> STAMPS/NAME`. For
each round the tool waits until every agent is back on its long poll (`prostagma_watchers{trigger="T"}` = N),
reads the server's CPU time, takes the wall clock, sends `POST /v1/triggers/T` and waits until every agent's
file has a line for the new count; a latency is a line's timestamp minus the clock just before the POST (both
CLOCK_REALTIME). The server's CPU time is read again once the last agent has started, and its resident memory
(VmRSS, VmHWM) at the end. Prints one JSON line.
Usage: fleet.py --port P --secret S --stamps DIR --agents N --server-pid PID [--rounds 5] [--trigger fleet]
"""
import argparse
import json
import os
import sys
import time
from server_probe import call, cpu_ticks, pct, status_kib, watchers





def starts(directory, count):
    """The start stamp of `count` in every agent's file that has one."""
    result = {}
    for name in os.listdir(directory):
        with open(os.path.join(directory, name)) as handle:
            for line in handle:
                parts = line.split()
                if len(parts) == 2 and parts[0] == str(count):
                    result[name] = float(parts[1])
    return result



def wait_until(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            sys.exit(f"fleet: {what} within {seconds} s")
        time.sleep(0.01)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--stamps", required=True)
    parser.add_argument("--agents", type=int, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--trigger", default="fleet")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    latencies, last_ms, cpu = [], [], []
    for round_number in range(args.rounds):
        wait_until(f"round {round_number}: not all {args.agents} agents were waiting on their long polls",
                   lambda: watchers(base, args.trigger) >= args.agents, 120)
        cpu_before = cpu_ticks(args.server_pid) / os.sysconf("SC_CLK_TCK")
        start = time.time()
        count = json.loads(call(base, "POST", f"/v1/triggers/{args.trigger}", args.secret))["count"]
        seen = {}

        def everyone_started():
            seen.update(starts(args.stamps, count))
            return len(seen) >= args.agents

        wait_until(f"round {round_number}: not every agent started count {count}", everyone_started, 120)
        cpu.append(cpu_ticks(args.server_pid) / os.sysconf("SC_CLK_TCK") - cpu_before)
        round_latencies = [(stamp - start) * 1000 for stamp in seen.values()]
        latencies += round_latencies
        last_ms.append(max(round_latencies))
    print(json.dumps({
        "agents": args.agents, "rounds": args.rounds, "samples": len(latencies),
        "p50_ms": round(pct(latencies, 50), 1), "p99_ms": round(pct(latencies, 99), 1),
        "max_ms": round(max(latencies), 1), "last_start_p50_ms": round(pct(last_ms, 50), 1),
        "server_cpu_s_per_round": round(sum(cpu) / len(cpu), 3),
        "server_rss_kib": status_kib(args.server_pid, "VmRSS"),
        "server_hwm_kib": status_kib(args.server_pid, "VmHWM"),
    }))


if __name__ == "__main__":
    main()
