#!/usr/bin/env python3
"""Trigger -> answer latency of N simulated agents long-polling one trigger of a running prostagma-server.

Every simulated agent is one keep-alive connection sending the v1 poll an agent sends,
`GET /v1/triggers/T?after=C&epoch=E&wait=60` with `Authorization: Bearer` and `X-Prostagma-Agent: sim-I`.
Each round: all polls are sent, the tool waits until the server's `prostagma_watchers{trigger="T"}` shows
them all, reads the server's VmRSS (with --pid), then increments T with `POST /v1/triggers/T` and records for
every poll the time from just before the increment was sent to the last byte of its answer (and, as a
breakdown, the increment's own round trip and the server's CPU time per round from /proc/PID/stat).
The increment is sent on a socket in the same epoll loop, so no answer waits for it to be read. The next
round sends the next poll (after the new count) on the same connections. --anonymous leaves out the
X-Prostagma-Agent header (to tell agent bookkeeping from the wake-up itself).
Non-blocking sockets and one epoll loop (no asyncio, no HTTP library) so the client adds as little as it can;
it still shares the machine's cores with the server, and reading N answers one after another is part of
what is measured. Prints one JSON line.
With --poll-ports A,B the polls are spread over replicas sharing a database while the increment goes to --port.
Usage: waiters.py --port P --secret S [--polls 1000] [--rounds 20] [--trigger T] [--pid SERVER_PID] [--poll-ports A,B]
"""
import argparse
import json
import os
import resource
import select
import socket
import sys
import time

from server_probe import call, cpu_ticks, pct, status_kib, watchers






def complete(buffer):
    head_end = buffer.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    length = 0
    for line in buffer[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(buffer) >= head_end + 4 + length



def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--polls", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--trigger", default="e2e-waiters")
    parser.add_argument("--pid", type=int, default=0)
    parser.add_argument("--anonymous", action="store_true", help="send no X-Prostagma-Agent (a breakdown)")
    parser.add_argument("--poll-ports", default="",
                        help="A,B: spread the polls round robin over these servers (replicas sharing a database); "
                             "the increment still goes to --port, so the wake-up crosses replicas")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < args.polls + 100:
        sys.exit(f"open-file limit {hard} is too low for {args.polls} polls")
    host, base = "127.0.0.1", f"http://127.0.0.1:{args.port}"
    poll_ports = [int(port) for port in args.poll_ports.split(",") if port] or [args.port]
    state = json.loads(call(base, "GET", f"/v1/triggers/{args.trigger}", args.secret))
    count, epoch = state["count"], state["epoch"]

    epoll = select.epoll()
    sockets = {}
    for index in range(args.polls):
        port = poll_ports[index % len(poll_ports)]
        sock = socket.create_connection((host, port), timeout=10)
        sock.setblocking(False)
        sockets[sock.fileno()] = (index, sock, port)

    samples, per_round, rss, cpu_ms = [], [], [], []
    for round_number in range(args.rounds):
        buffers = {}
        for fd, (index, sock, port) in sockets.items():
            sock.sendall(
                (f"GET /v1/triggers/{args.trigger}?after={count}&epoch={epoch}&wait=60 HTTP/1.1\r\n"
                 f"Host: {host}:{port}\r\nAuthorization: Bearer {args.secret}\r\n"
                 + ("" if args.anonymous else f"X-Prostagma-Agent: sim-{index}\r\n") + "\r\n").encode())
            buffers[fd] = b""
            epoll.register(fd, select.EPOLLIN)
        deadline = time.monotonic() + 60
        while sum(watchers(f"http://{host}:{port}", args.trigger) for port in poll_ports) < args.polls:
            if time.monotonic() > deadline:
                sys.exit(f"round {round_number}: the polls did not all open")
            time.sleep(0.02)
        if args.pid:
            rss.append(status_kib(args.pid, "VmRSS"))
        time.sleep(0.05)
        latencies = []
        increment_ms = None
        poster = socket.create_connection((host, args.port), timeout=10)
        poster.setblocking(False)
        epoll.register(poster.fileno(), select.EPOLLIN)
        posted = b""
        cpu_before = cpu_ticks(args.pid) if args.pid else 0
        start = time.perf_counter()
        poster.sendall((f"POST /v1/triggers/{args.trigger} HTTP/1.1\r\nHost: {host}:{args.port}\r\n"
                        f"Authorization: Bearer {args.secret}\r\nContent-Length: 0\r\n\r\n").encode())
        while len(latencies) < args.polls or increment_ms is None:
            events = epoll.poll(30)
            if not events:
                sys.exit(f"round {round_number}: {args.polls - len(latencies)} polls had no answer in 30 s")
            now = time.perf_counter()
            for fd, _ in events:
                if fd == poster.fileno():
                    posted += poster.recv(65536)
                    if complete(posted):
                        increment_ms = (now - start) * 1000
                        epoll.unregister(fd)
                        if not posted.startswith(b"HTTP/1.1 200"):
                            sys.exit(f"unexpected answer to the increment: {posted[:200]!r}")
                    continue
                chunk = sockets[fd][1].recv(65536)
                if not chunk:
                    sys.exit("the server closed a poll's connection")
                buffers[fd] += chunk
                if complete(buffers[fd]):
                    latencies.append((now - start) * 1000)
                    epoll.unregister(fd)
                    if not buffers[fd].startswith(b"HTTP/1.1 200"):
                        sys.exit(f"unexpected answer: {buffers[fd][:200]!r}")
        poster.close()
        if args.pid:
            cpu_ms.append((cpu_ticks(args.pid) - cpu_before) * 1000 / os.sysconf("SC_CLK_TCK"))
        count += 1
        samples += latencies
        per_round.append({"p50_ms": round(pct(latencies, 50), 2), "p99_ms": round(pct(latencies, 99), 2),
                          "max_ms": round(max(latencies), 2), "increment_ms": round(increment_ms, 2)})
        time.sleep(0.1)
    for _, sock, _ in sockets.values():
        sock.close()
    round_p99 = [r["p99_ms"] for r in per_round]
    print(json.dumps({
        "polls": args.polls, "rounds": args.rounds, "samples": len(samples),
        "p50_ms": round(pct(samples, 50), 2), "p99_ms": round(pct(samples, 99), 2),
        "max_ms": round(max(samples), 2),
        "round_p99_median_ms": round(pct(round_p99, 50), 2), "round_p99_best_ms": round(min(round_p99), 2),
        "increment_p50_ms": round(pct([r["increment_ms"] for r in per_round], 50), 2),
        "increment_p99_ms": round(pct([r["increment_ms"] for r in per_round], 99), 2),
        "server_rss_with_polls_kib": max(rss) if rss else None,
        "server_cpu_ms_per_round": round(sum(cpu_ms) / len(cpu_ms), 1) if cpu_ms else None,
        "rounds_detail": per_round}))


if __name__ == "__main__":
    main()
