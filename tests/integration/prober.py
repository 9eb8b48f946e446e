"""A client that keeps sending requests through the lab's HAProxy while a rollout runs, and keeps
every failure (status, error, time) so a test can assert that there were none."""

from __future__ import annotations

import http.client
import json
import subprocess
import threading
import time


class Prober:
    """GET `path` on 127.0.0.1:`port` again and again, one new connection per request, until
    stopped, `max_requests` were sent or `max_seconds` passed (bounded either way)."""

    def __init__(self, port, path="/version", interval=0.02, timeout=3.0, max_requests=20000, max_seconds=600):
        self.port, self.path, self.interval, self.timeout = port, path, interval, timeout
        self.max_requests, self.max_seconds = max_requests, max_seconds
        self.ok = 0
        self.failures = []
        self.versions = {}        # version -> number of answers
        self.servers = {}         # hostname that answered -> number of answers
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        self._stop.set()
        self._thread.join(timeout=self.timeout + 5)

    @property
    def sent(self):
        return self.ok + len(self.failures)

    def _one(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request("GET", self.path, headers={"Connection": "close"})
            resp = conn.getresponse()
            body = resp.read()
            if resp.status != 200:
                return "HTTP %d: %s" % (resp.status, body[:120].decode(errors="replace").strip())
            doc = json.loads(body)
            self.versions[doc.get("version")] = self.versions.get(doc.get("version"), 0) + 1
            self.servers[doc.get("hostname")] = self.servers.get(doc.get("hostname"), 0) + 1
            return None
        except (OSError, http.client.HTTPException, ValueError) as exc:
            return "%s: %s" % (type(exc).__name__, exc)
        finally:
            conn.close()

    def _run(self):
        start = time.monotonic()
        while not self._stop.is_set() and self.sent < self.max_requests and time.monotonic() - start < self.max_seconds:
            error = self._one()
            if error:
                self.failures.append((round(time.monotonic() - start, 2), error))
            else:
                self.ok += 1
            self._stop.wait(self.interval)

    def report(self):
        return "%d sent, %d failed %s; versions %s; servers %s" % (
            self.sent, len(self.failures), self.failures[:10], self.versions, self.servers)


def haproxy_servers(container, backend="app"):
    """{server: (status, current sessions)} from HAProxy's runtime socket on the lab's LB host."""
    script = ("import socket; s=socket.socket(socket.AF_UNIX); s.connect('/run/haproxy/admin.sock'); "
              "s.sendall(b'show stat\\n'); out=b''\n"
              "while True:\n  b=s.recv(65536)\n  if not b: break\n  out+=b\n"
              "print(out.decode())")
    proc = subprocess.run(["docker", "exec", container, "python3", "-c", script],
                          text=True, capture_output=True, timeout=30, check=True)
    lines = [line for line in proc.stdout.splitlines() if line and not line.startswith("#")]
    fields = proc.stdout.splitlines()[0].lstrip("# ").split(",")
    servers = {}
    for line in lines:
        row = dict(zip(fields, line.split(",")))
        if row.get("pxname") == backend and row.get("svname") not in ("FRONTEND", "BACKEND"):
            servers[row["svname"]] = (row["status"], int(row["scur"] or 0))
    return servers


def haproxy_statuses(container, backend="app"):
    """{server: status} (UP, DOWN, MAINT, ...) from HAProxy's runtime socket on the lab's LB host."""
    return {server: status for server, (status, _sessions) in haproxy_servers(container, backend).items()}
