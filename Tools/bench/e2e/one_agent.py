#!/usr/bin/env python3
"""Trigger -> run start latency of one real prostagma-agent, triggered N times in sequence.

The agent watches T with a script of one shell step run by bash, `echo "$PROSTAGMA_COUNT $EPOCHREALTIME" >> STAMPS`
(a builtin: no extra process). For each of N rounds the tool waits until the agent is back on its long poll
(`prostagma_watchers{trigger="T"}` = 1), takes the wall clock, sends `POST /v1/triggers/T`, and waits for the
step's line; latency = the step's timestamp - the clock just before the POST. Both clocks are the same
CLOCK_REALTIME. Prints one JSON line. Usage: one_agent.py --port P --secret S --stamps FILE [--rounds 50]
"""
import argparse
import json
import os
import sys
import time

from server_probe import call, pct, watchers





def stamps(path):
    if not os.path.exists(path):
        return {}
    result = {}
    with open(path) as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 2:
                result[int(parts[0])] = float(parts[1])
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--stamps", required=True)
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--trigger", default="e2e-one")
    args = parser.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    latencies, post_ms = [], []
    for round_number in range(args.rounds):
        deadline = time.monotonic() + 30
        while watchers(base, args.trigger) < 1:
            if time.monotonic() > deadline:
                sys.exit(f"round {round_number}: the agent is not waiting on its long poll")
            time.sleep(0.02)
        time.sleep(0.05)
        start = time.time()
        answer = json.loads(call(base, "POST", f"/v1/triggers/{args.trigger}", args.secret))
        posted = time.time()
        count = answer["count"]
        deadline = time.monotonic() + 30
        while count not in (seen := stamps(args.stamps)):
            if time.monotonic() > deadline:
                sys.exit(f"round {round_number}: the step for count {count} did not start within 30 s")
            time.sleep(0.005)
        latencies.append((seen[count] - start) * 1000)
        post_ms.append((posted - start) * 1000)
    print(json.dumps({"rounds": args.rounds, "p50_ms": round(pct(latencies, 50), 2),
                      "p99_ms": round(pct(latencies, 99), 2), "min_ms": round(min(latencies), 2),
                      "max_ms": round(max(latencies), 2), "post_p50_ms": round(pct(post_ms, 50), 2),
                      "after_post_p50_ms": round(pct([l - p for l, p in zip(latencies, post_ms)], 50), 2),
                      "after_post_p99_ms": round(pct([l - p for l, p in zip(latencies, post_ms)], 99), 2)}))


if __name__ == "__main__":
    main()
