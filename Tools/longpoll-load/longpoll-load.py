#!/usr/bin/env python3
"""Open N long polls against an HTTPCore demo server on loopback, fire the event, and measure.

The server (Tools/bench/HTTPBench, executable HTTPCoreBenchServer) serves
  GET  /poll?wait=S   waits on a Notifier for up to S seconds
  GET  /waiters       the number of requests waiting
  POST /publish       wakes them all
The tool reports the server's resident memory before and with the polls open (from /proc/PID/status), and the
time from sending the publish (or SIGTERM with --shutdown) until the last poll has its complete answer.
Uses non-blocking sockets and epoll, so one process holds all N connections.
With --rounds 2 (publish mode only) every connection then sends its next poll on the same keep-alive connection, and
the RSS and timing are measured again: a connection that has already answered once is what a server of agents holds.
Usage: longpoll-load.py --port P --pid SERVER_PID [--connections 10000] [--shutdown] [--rounds 2]
"""
import argparse
import json
import os
import resource
import select
import signal
import socket
import sys
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def cpu_ms(pid):
    """The server's user + system CPU time so far, in milliseconds (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def simple_request(port, method, path):
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n\r\n", 1)[1].decode()


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
    parser.add_argument("--pid", type=int, required=True)
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--wait", type=int, default=60)
    parser.add_argument("--shutdown", action="store_true", help="send SIGTERM instead of publishing")
    parser.add_argument("--idle", action="store_true", help="only connect (no request) and report the server's RSS")
    parser.add_argument("--rounds", type=int, default=1, help="polls per connection (keep-alive), publish mode only")
    args = parser.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if args.rounds > 1 and args.shutdown:
        sys.exit("--rounds applies to the publish mode only")
    if hard < args.connections + 100:
        sys.exit(f"open-file limit {hard} is too low for {args.connections} connections")

    baseline = rss_kib(args.pid)
    epoll = select.epoll()
    sockets = {}
    buffers = {}
    request = f"GET /poll?wait={args.wait} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    opened = time.perf_counter()
    batch = 500
    for start in range(0, args.connections, batch):
        pending = []
        for _ in range(start, min(start + batch, args.connections)):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", args.port))
            pending.append(sock)
        for sock in pending:
            epoll.register(sock.fileno(), select.EPOLLOUT)
            sockets[sock.fileno()] = sock
        waiting = {sock.fileno() for sock in pending}
        while waiting:
            events = epoll.poll(10)
            if not events:
                sys.exit(f"{len(waiting)} connections did not complete within 10 s")
            for fd, _ in events:
                if fd in waiting:
                    waiting.discard(fd)
                    try:
                        if not args.idle:
                            sockets[fd].send(request)
                    except OSError as error:
                        sys.exit(f"connection {len(sockets)} failed: {error}")
                    epoll.modify(fd, select.EPOLLIN)
                    buffers[fd] = b""
    if args.idle:
        time.sleep(3)
        print(json.dumps({"connections": args.connections, "mode": "idle connections",
                          "server_rss_before_kib": baseline, "server_rss_with_idle_connections_kib": rss_kib(args.pid)}))
        return
    result = {"connections": args.connections}
    for round_number in range(1, args.rounds + 1):
        if round_number > 1:
            for fd, sock in sockets.items():
                buffers[fd] = b""
                sock.send(request)
                epoll.register(fd, select.EPOLLIN)
        measured = measure_round(args, sockets, epoll, buffers, baseline, opened)
        if round_number == 1:
            result.update(measured)
        else:
            result[f"round{round_number}"] = measured
    for sock in sockets.values():
        sock.close()
    print(json.dumps(result))


def measure_round(args, sockets, epoll, buffers, baseline, opened):
    """Waits until the server holds every poll, fires the event, and times the answers."""
    deadline = time.time() + 120
    waiters = 0
    while time.time() < deadline:
        waiters = int(simple_request(args.port, "GET", "/waiters"))
        if waiters >= args.connections:
            break
        time.sleep(0.1)
    open_seconds = time.perf_counter() - opened
    time.sleep(1)  # let the allocator settle before reading RSS
    loaded = rss_kib(args.pid)

    cpu_before = cpu_ms(args.pid)
    fired = time.perf_counter()
    if args.shutdown:
        os.kill(args.pid, signal.SIGTERM)
    else:
        simple_request(args.port, "POST", "/publish")
    answered = 0
    failed = 0
    last = fired
    reasons = {}
    while answered + failed < len(sockets):
        events = epoll.poll(30)
        if not events:
            break
        for fd, _ in events:
            sock = sockets[fd]
            try:
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            if chunk:
                buffers[fd] += chunk
                if not complete(buffers[fd]):
                    continue
                answered += 1
                body = buffers[fd].split(b"\r\n\r\n", 1)[1].decode()
                reasons[body] = reasons.get(body, 0) + 1
            else:
                failed += 1
            last = time.perf_counter()
            epoll.unregister(fd)
    # After a shutdown the process may be gone: its CPU time is then not known.
    try:
        cpu_used = round(cpu_ms(args.pid) - cpu_before)
    except OSError:
        cpu_used = None
    return {
        "waiting_seen_by_server": waiters,
        "seconds_to_open_all": round(open_seconds, 2),
        "server_rss_before_kib": baseline,
        "server_rss_with_polls_kib": loaded,
        "kib_per_poll": round((loaded - baseline) / max(1, args.connections), 2),
        "mode": "shutdown" if args.shutdown else "publish",
        "ms_until_all_answered": round((last - fired) * 1000, 1),
        "server_cpu_ms": cpu_used,
        "answered": answered,
        "failed_or_closed": failed,
        "answers": reasons,
    }


if __name__ == "__main__":
    main()
