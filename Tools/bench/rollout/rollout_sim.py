#!/usr/bin/env python3
"""Simulated agents for a rollout benchmark against a running prostagma-server.

Each simulated agent is one keep-alive HTTP/1.1 connection doing what prostagma-agent does: long-poll
`GET /v1/triggers/{trigger}?after=N&epoch=E&wait=60` with `X-Prostagma-Agent`, and when the answer shows a newer
count, "run" it (sleep --run-ms), then report it (`POST /v1/runs`) and poll again. The trigger must already have a
policy; this script waits until every agent has polled once, increments the trigger, and measures:

- gap: for each run report, the time from sending it to the next agent's poll answer that admits it (the slot it
  freed being given to the next agent) - only meaningful while agents are still waiting;
- the rollout's total time (increment to the last report), the most agents running at once as the clients saw it,
  and the most agents `admitted` at once as `GET /v1/triggers/{trigger}/rollout` showed it (sampled every 20 ms).

The gap pairs the k-th report with the (first wave + k)-th admission, which is exact only with max_parallel 1; with
a larger cap it is printed but means little.

Prints one JSON object.
"""
import argparse
import asyncio
import json
import statistics
import time
import urllib.request


class Conn:
    def __init__(self, host, port):
        self.host, self.port = host, port
        self.reader = self.writer = None

    async def request(self, method, path, headers, body=b""):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
        for name, value in headers.items():
            head += f"{name}: {value}\r\n"
        head += f"Content-Length: {len(body)}\r\n\r\n"
        self.writer.write(head.encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        status = int(status_line.split()[1])
        length, chunked = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
            elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                chunked = True
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                data += chunk[:-2]
        else:
            data = await self.reader.readexactly(length)
        return status, data


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--trigger", default="bench-rollout")
    ap.add_argument("--agents", type=int, default=200)
    ap.add_argument("--run-ms", type=float, default=20)
    ap.add_argument("--timeout", type=float, default=300)
    args = ap.parse_args()
    base = f"http://127.0.0.1:{args.port}"
    auth = {"Authorization": f"Bearer {args.secret}"}
    epoch = json.load(urllib.request.urlopen(base + "/healthz"))["epoch"]
    state = json.load(urllib.request.urlopen(urllib.request.Request(base + f"/v1/triggers/{args.trigger}", headers=auth)))
    start_count = state["count"]
    target = start_count + 1

    polled = asyncio.Event()
    polled_count = 0
    running = 0
    most_running = 0
    reports = []  # (time sent, agent)
    admissions = []  # (time the admitting answer arrived, agent)
    finished = 0
    done = asyncio.Event()

    async def agent(index):
        nonlocal polled_count, running, most_running, finished
        name = f"sim-{index:04d}"
        conn = Conn("127.0.0.1", args.port)
        headers = dict(auth, **{"X-Prostagma-Agent": name, "X-Prostagma-Poll-Interval": "5"})
        handled = start_count
        first = True
        while True:
            path = f"/v1/triggers/{args.trigger}?after={handled}&epoch={epoch}&wait={0 if first else 60}"
            status, body = await conn.request("GET", path, headers)
            if first:
                first = False
                polled_count += 1
                if polled_count == args.agents:
                    polled.set()
            if status != 200:
                raise SystemExit(f"{name}: poll answered {status}: {body[:200]!r}")
            count = json.loads(body)["count"]
            if count >= target:
                admissions.append((time.perf_counter(), name))
                running += 1
                most_running = max(most_running, running)
                await asyncio.sleep(args.run_ms / 1000)
                report = json.dumps({"agent": name, "trigger": args.trigger, "count": count, "status": "succeeded"})
                running -= 1
                reports.append((time.perf_counter(), name))
                status, body = await conn.request(
                    "POST", "/v1/runs", dict(auth, **{"Content-Type": "application/json"}), report.encode())
                if status != 201:
                    raise SystemExit(f"{name}: report answered {status}: {body[:200]!r}")
                finished += 1
                if finished == args.agents:
                    done.set()
                return

    most_admitted = 0
    cap = None

    async def sample():
        nonlocal most_admitted, cap
        conn = Conn("127.0.0.1", args.port)
        while not done.is_set():
            status, body = await conn.request("GET", f"/v1/triggers/{args.trigger}/rollout", auth)
            if status == 200:
                rollout = json.loads(body)
                if rollout["count"] == target:
                    admitted = sum(1 for a in rollout["agents"] if a["place"] == "admitted")
                    most_admitted = max(most_admitted, admitted)
                    limit = rollout["policy"]["max_parallel"]
                    live = sum(1 for a in rollout["agents"] if a["place"] != "gone")
                    if isinstance(limit, str) and limit.endswith("%"):
                        cap = max(1, (live * int(limit[:-1]) + 99) // 100)
                    elif limit is not None:
                        cap = limit
            await asyncio.sleep(0.02)

    tasks = [asyncio.create_task(agent(i)) for i in range(args.agents)]
    await asyncio.wait_for(polled.wait(), 60)
    # Every agent has polled once (and is registered); its next poll is the long one.
    await asyncio.sleep(0.5)
    conn = Conn("127.0.0.1", args.port)
    began = time.perf_counter()
    status, body = await conn.request("POST", f"/v1/triggers/{args.trigger}", auth)
    if status != 200:
        raise SystemExit(f"increment answered {status}: {body[:200]!r}")
    sampler = asyncio.create_task(sample())
    await asyncio.wait_for(done.wait(), args.timeout)
    total = time.perf_counter() - began
    await asyncio.gather(*tasks)
    await sampler

    # Each report frees a slot; the next admission after it (in time) is the agent it let in. Pair them in order:
    # the k-th report with the admission number (initial wave + k).
    admissions.sort()
    reports.sort()
    initial = len([a for a in admissions if a[0] < reports[0][0]]) if reports else len(admissions)
    gaps = []
    for k, (sent, _) in enumerate(reports):
        j = initial + k
        if j < len(admissions):
            gaps.append((admissions[j][0] - sent) * 1000)
    gaps.sort()

    def pct(p):
        return round(gaps[min(len(gaps) - 1, int(p / 100 * len(gaps)))], 2) if gaps else None

    print(json.dumps({
        "agents": args.agents,
        "run_ms": args.run_ms,
        "total_s": round(total, 3),
        "most_running": most_running,
        "most_admitted": most_admitted,
        "cap": cap,
        "first_wave": initial,
        "gaps": len(gaps),
        "gap_ms_p50": pct(50),
        "gap_ms_p99": pct(99),
        "gap_ms_max": round(gaps[-1], 2) if gaps else None,
        "gap_ms_mean": round(statistics.mean(gaps), 2) if gaps else None,
    }))


asyncio.run(main())
