#!/usr/bin/env python3
"""A stand-in Prostagma server for the agent's tests, written from docs/api.md and the original README.

--mode original: only the original API (GET/POST /trigger with a JSON body); everything else is 404,
                 as the original Go server answers /v1/... .
--mode v1:       the original API plus the v1 endpoints the agent uses: the long poll, increments
                 (with ?wait), artifacts, run reports.
Test-only control endpoints under /_control/ (no auth): set counts/epoch, register artifacts, list
requests and runs. Prints the bound port on stdout, then serves until killed.
"""
import argparse, hashlib, json, sys, threading, time, uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

parser = argparse.ArgumentParser()
parser.add_argument("--mode", choices=["original", "v1"], required=True)
parser.add_argument("--secret", default="s3cret")
parser.add_argument("--port", type=int, default=0)
args = parser.parse_args()

lock = threading.Condition()
counts = {}
epoch = uuid.uuid4().hex
runs = []
requests_seen = []
artifacts = {}  # url -> (bytes, announced sha or None)
polls_open = 0


releases = {}  # (trigger, count) -> release; only what a test made (a server without releases sends none)


def state(name):
    answer = {"trigger": name, "count": counts.get(name, 0), "epoch": epoch, "last_increment": None}
    release = releases.get((name, answer["count"]))
    if release is not None:
        answer["release"] = release
    return answer


def make_release(name, count, params, note=None, rollback_of=None):
    releases[(name, count)] = {"trigger": name, "count": count, "params": params, "note": note, "source": "api",
                               "requested_by": "secret", "forge": None, "rollback_of": rollback_of,
                               "created_at": "2026-11-30T03:00:00.000Z"}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, payload=None, raw=None, headers=None):
        data = raw if raw is not None else (json.dumps(payload).encode() if payload is not None else b"")
        self.send_response(status)
        if raw is None:
            self.send_header("Content-Type", "application/json")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def error(self, status, code, detail):
        self.send(status, {"error": code, "detail": detail})

    def bearer_ok(self):
        return self.headers.get("Authorization") == "Bearer " + args.secret

    def handle_any(self):
        global epoch, polls_open
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = self.body()
        with lock:
            requests_seen.append({"method": self.command, "path": url.path, "query": q,
                                  "agent": self.headers.get("X-Prostagma-Agent"),
                                  "poll_interval": self.headers.get("X-Prostagma-Poll-Interval"),
                                  "body": body.decode("utf-8", "replace")})
        path = url.path
        # --- control ---
        if path == "/_control/set":
            with lock:
                if "epoch" in q:
                    epoch = q["epoch"]
                if "trigger" in q:
                    counts[q["trigger"]] = int(q["count"])
                    if body:
                        make_release(q["trigger"], int(q["count"]), json.loads(body))
                lock.notify_all()
            return self.send(200, {"ok": True, "epoch": epoch})
        if path == "/_control/forget_releases":
            # Answers as a server without releases from now on (an older server, or one that lost them).
            with lock:
                releases.clear()
            return self.send(200, {"ok": True})
        if path == "/_control/artifact":
            with lock:
                artifacts[q["url"]] = (body, q.get("sha"))
            return self.send(200, {"ok": True})
        if path == "/_control/runs":
            with lock:
                return self.send(200, {"runs": runs})
        if path == "/_control/requests":
            with lock:
                return self.send(200, {"requests": requests_seen})
        # --- original API ---
        if path == "/trigger" and self.command in ("GET", "POST"):
            try:
                doc = json.loads(body or b"null")
                assert isinstance(doc, dict)
            except Exception:
                return self.error(400, "bad_json", "malformed JSON")
            if doc.get("secret") != args.secret:
                return self.error(403, "forbidden", "bad secret")
            name = doc.get("trigger", "")
            with lock:
                if self.command == "POST":
                    counts[name] = counts.get(name, 0) + 1
                    lock.notify_all()
                return self.send(200, {"trigger": name, "count": counts.get(name, 0)})
        if args.mode == "original" or not path.startswith("/v1/"):
            return self.send(404, raw=b"404 page not found\n", headers={"Content-Type": "text/plain"})
        # --- v1 ---
        if not self.bearer_ok():
            return self.error(401, "unauthorized", "missing or bad bearer token")
        if path.startswith("/v1/triggers/"):
            name = path[len("/v1/triggers/"):]
            rollback = name.endswith("/rollback")
            if rollback:
                name = name[:-len("/rollback")]
            if self.command == "POST":
                doc = json.loads(body) if body else {}
                with lock:
                    if rollback:
                        to = doc.get("to")
                        if to == "previous":
                            earlier = sorted(c for (t, c) in releases if t == name and c < counts.get(name, 0))
                            if not earlier:
                                return self.error(409, "no_previous_release",
                                                  "`%s` has no earlier release whose runs all succeeded" % name)
                            to = earlier[-1]
                        if (name, to) not in releases:
                            return self.error(422, "invalid_field", "to: `%s` has no release %s" % (name, to))
                        params, rollback_of = releases[(name, to)]["params"], to
                    else:
                        params, rollback_of = doc.get("params", {}), None
                        for key in params:
                            if not key or not (key[0].isalpha() or key[0] == "_"):
                                return self.error(422, "invalid_field", "params.%s: bad name" % key)
                    counts[name] = counts.get(name, 0) + 1
                    if body:
                        make_release(name, counts[name], params, doc.get("note"), rollback_of)
                    lock.notify_all()
                    answer = state(name)
                wait = q.get("wait")
                if wait is None:
                    return self.send(200, answer)
                # Stand-in for ?wait: answer from the runs reported for the new count.
                deadline = time.time() + float(wait)
                with lock:
                    while True:
                        mine = [r for r in runs if r["trigger"] == name and r["count"] == answer["count"]]
                        if mine or time.time() >= deadline:
                            break
                        lock.wait(max(0.01, deadline - time.time()))
                answer["runs"] = mine
                answer["pending"] = [] if mine else ["agent"]
                if not mine:
                    return self.send(504, answer)
                failed = any(r["status"] == "failed" for r in mine)
                return self.send(409 if failed else 200, answer)
            if self.command == "GET":
                wait = min(float(q.get("wait", "30")), 60)
                deadline = time.time() + wait
                with lock:
                    polls_open += 1
                    try:
                        while True:
                            cur = state(name)
                            if str(cur["count"]) != q.get("after") or cur["epoch"] != q.get("epoch"):
                                break
                            remaining = deadline - time.time()
                            if remaining <= 0:
                                break
                            lock.wait(remaining)
                    finally:
                        polls_open -= 1
                return self.send(200, state(name))
        if path == "/v1/runs" and self.command == "POST":
            doc = json.loads(body)
            with lock:
                runs.append(doc)
                lock.notify_all()
            return self.send(201, {"id": doc.get("id")})
        if path == "/v1/artifacts" and self.command in ("GET", "HEAD"):
            with lock:
                found = artifacts.get(q.get("url"))
            if found is None:
                return self.error(502, "upstream_failed", "no such artifact in the stand-in")
            data, announced = found
            sha = announced or hashlib.sha256(data).hexdigest()
            return self.send(200, raw=data, headers={"Content-Type": "application/octet-stream",
                                                      "X-Prostagma-SHA256": sha, "ETag": '"' + sha + '"'})
        return self.error(404, "not_found", path)

    do_GET = do_POST = do_HEAD = do_PUT = handle_any


server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
