#!/usr/bin/env python3
"""Wake-up latency of N long polls on one trigger of a running prostagma-server.

Opens N connections, sends `GET /v1/triggers/T?after=C&epoch=E&wait=60` on each, waits until the server's
`prostagma_watchers{trigger="T"}` shows N, then increments T with `POST /v1/triggers/T` and records, for
every poll, the time from sending the increment to the last byte of the poll's answer. Prints one JSON
line: {"polls": N, "p50_ms": ..., "p99_ms": ..., "max_ms": ..., "increment_ms": ...}.
With --poll-ports A,B the polls are spread round robin over those servers (replicas sharing a database) while
the increment goes to --port: the wake-up then crosses replicas through the database's NOTIFY.
Raw asyncio sockets (no HTTP library) so the client adds little; it runs on the same 2 cores as the server.
"""
import argparse
import asyncio
import json
import time
import urllib.request


def request(host, port, method, path, secret):
    return (f"{method} {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Bearer {secret}\r\n"
            f"Content-Length: 0\r\n\r\n").encode()


async def read_response(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    body = await reader.readexactly(length)
    return head, body


def get_json(base, path, secret):
    req = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {secret}"})
    with urllib.request.urlopen(req) as response:
        return json.loads(response.read())


def watchers(base, trigger):
    with urllib.request.urlopen(base + "/metrics") as response:
        for line in response.read().decode().splitlines():
            if line.startswith(f'prostagma_watchers{{trigger="{trigger}"}}'):
                return int(float(line.split()[-1]))
    return 0


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--polls", type=int, default=1)
    parser.add_argument("--trigger", default="bench-wake")
    parser.add_argument("--poll-ports", default="", help="comma-separated ports to spread the polls over")
    args = parser.parse_args()
    host, base = "127.0.0.1", f"http://127.0.0.1:{args.port}"
    poll_ports = [int(p) for p in args.poll_ports.split(",") if p] or [args.port]
    state = get_json(base, f"/v1/triggers/{args.trigger}", args.secret)
    path = f"/v1/triggers/{args.trigger}?after={state['count']}&epoch={state['epoch']}&wait=60"
    connections = []
    expected = {port: 0 for port in poll_ports}
    for index in range(args.polls):
        port = poll_ports[index % len(poll_ports)]
        expected[port] += 1
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request(host, port, "GET", path, args.secret))
        connections.append((reader, writer))
    await asyncio.gather(*(w.drain() for _, w in connections))
    deadline = time.monotonic() + 30
    for port, count in expected.items():
        while watchers(f"http://{host}:{port}", args.trigger) < count:
            if time.monotonic() > deadline:
                raise SystemExit("the polls did not all open")
            await asyncio.sleep(0.01)

    arrivals = []

    async def wait_one(reader):
        await read_response(reader)
        arrivals.append(time.perf_counter())

    tasks = [asyncio.create_task(wait_one(r)) for r, _ in connections]
    reader, writer = await asyncio.open_connection(host, args.port)
    start = time.perf_counter()
    writer.write(request(host, args.port, "POST", f"/v1/triggers/{args.trigger}", args.secret))
    await writer.drain()
    await read_response(reader)
    increment_ms = (time.perf_counter() - start) * 1000
    await asyncio.gather(*tasks)
    latencies = sorted((t - start) * 1000 for t in arrivals)

    def pct(p):
        return latencies[min(len(latencies) - 1, int(round(p / 100 * (len(latencies) - 1))))]

    print(json.dumps({"polls": args.polls, "p50_ms": round(pct(50), 2), "p99_ms": round(pct(99), 2),
                      "max_ms": round(latencies[-1], 2), "increment_ms": round(increment_ms, 2)}))
    for _, w in connections + [(reader, writer)]:
        w.close()


asyncio.run(main())
