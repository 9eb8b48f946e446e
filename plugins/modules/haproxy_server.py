#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: haproxy_server
short_description: Drain app servers out of HAProxy and put them back, several at once, through its runtime socket
version_added: 0.1.0
description:
  - Runs on the HAProxy host and talks to HAProxy's runtime API over its UNIX socket (level C(admin)).
  - O(state=drained) puts each server in drain mode (no new requests), waits until its current sessions end or
    O(timeout) passes, then puts it in maintenance. Servers that still had sessions at the timeout are put in
    maintenance anyway and listed in RV(timed_out); the task does not fail for that.
  - O(state=enabled) makes each server ready again and waits until HAProxy reports it C(UP) (its health checks
    passed) or O(timeout) passes, which fails the task. A server with health checks is first forced down, so that
    it gets requests again only once HAProxy's own checks pass after the change, not on the health it had before
    its maintenance.
  - All servers of one task are handled together, so a rollout batch costs one round trip per load balancer.
  - Polls every O(interval) seconds, so a server that has no sessions left is in maintenance within a fraction of
    a second.
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Reports which servers would change; sends no command that changes a state.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  servers:
    description: Names of the servers (as in the C(server) lines of haproxy.cfg).
    type: list
    elements: str
    required: true
  backend:
    description: Backend of the servers; empty means every backend that has a server of that name.
    type: str
    default: ""
  state:
    description: C(drained) (out of rotation, in maintenance) or C(enabled) (ready and reported up).
    type: str
    choices: [drained, enabled]
    required: true
  socket:
    description: Path of HAProxy's runtime socket.
    type: path
    default: /run/haproxy/admin.sock
  timeout:
    description: Seconds to wait for sessions to end (O(state=drained)) or for the server to be up (O(state=enabled)).
    type: float
    default: 30
  interval:
    description: Seconds between two looks at the servers' state.
    type: float
    default: 0.2
notes:
  - A server that is in no backend fails the task, naming the backends that exist.
  - community.general.haproxy does the same for one server at a time; this module handles a whole batch in one
    call and waits with sub-second polling.
"""

EXAMPLES = r"""
- name: Take a batch out of HAProxy before it deploys
  gopherops.baremetal.haproxy_server:
    servers: [app1, app2]
    backend: app
    state: drained
    timeout: 30
  delegate_to: lb1
  become: true

- name: Put them back once they are healthy
  gopherops.baremetal.haproxy_server:
    servers: [app1, app2]
    backend: app
    state: enabled
  delegate_to: lb1
  become: true
"""

RETURN = r"""
servers:
  description: Per server, its backends and the status before and after (as HAProxy's C(show stat) reports it).
  returned: always
  type: dict
  sample: {"app1": {"backends": ["app"], "before": "UP", "after": "MAINT", "sessions": 0}}
timed_out:
  description: Servers still with sessions (O(state=drained)) or not up (O(state=enabled)) when O(timeout) passed.
  returned: always
  type: list
  elements: str
waited:
  description: Seconds spent waiting.
  returned: always
  type: float
"""

import socket
import time

from ansible.module_utils.basic import AnsibleModule


class HAProxyError(Exception):
    pass


def command(path, line):
    """Send one runtime API command and return HAProxy's answer."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(10)
    try:
        sock.connect(path)
        sock.sendall(line.encode() + b"\n")
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
    except OSError as exc:
        raise HAProxyError("HAProxy's runtime socket %s: %s" % (path, exc))
    finally:
        sock.close()
    return b"".join(chunks).decode(errors="replace")


def server_rows(path):
    """{(backend, server): {'status': ..., 'sessions': n}} for every server line of `show stat`."""
    text = command(path, "show stat")
    lines = text.splitlines()
    if not lines or not lines[0].startswith("# "):
        raise HAProxyError("unexpected answer to 'show stat' on %s: %s" % (path, text.strip()[:200]))
    fields = lines[0][2:].split(",")
    rows = {}
    for line in lines[1:]:
        if not line.strip():
            continue
        row = dict(zip(fields, line.split(",")))
        if row.get("svname") in ("FRONTEND", "BACKEND"):
            continue
        # chkfail (failed checks) is reported only for a server with health checks, in maintenance too
        rows[(row["pxname"], row["svname"])] = {
            "status": row.get("status", ""), "sessions": int(row.get("scur") or 0), "checked": row.get("chkfail", "") != ""}
    return rows


def locate(rows, servers, backend):
    """The (backend, server) pairs the task is about; fails for a server that is nowhere."""
    pairs = {}
    for name in servers:
        found = [b for (b, s) in rows if s == name and (not backend or b == backend)]
        if not found:
            backends = sorted({b for (b, _s) in rows})
            raise HAProxyError("server %r is not in %s (backends with servers: %s)"
                               % (name, "backend %r" % backend if backend else "any backend", ", ".join(backends)))
        pairs[name] = found
    return pairs


# HAProxy's answer to a health change on a server that tracks another one's health: it follows that one
TRACKING = "cannot change health on a tracking server"


def enable_line(backend, name, checked):
    """Back from maintenance a server keeps the health it had before, so it would be UP (and get requests) at
    once even if its checks now fail. Forced down in the same command line, a server with health checks is UP
    only once HAProxy's own checks pass again ('rise' times in a row); one without checks would stay down."""
    line = "set server {0}/{1} state ready".format(backend, name)
    return line + "; set server {0}/{1} health down".format(backend, name) if checked else line


def refusal(answer):
    """What HAProxy objected to in its answer to a command line, or ''."""
    lines = [line.strip() for line in answer.splitlines() if line.strip()]
    return "; ".join(line for line in lines if TRACKING not in line)


def settled(row, state):
    if state == "drained":
        return row["status"].startswith("MAINT") and row["sessions"] == 0
    return row["status"].startswith("UP")


def run(module):
    p = module.params
    path, state = p["socket"], p["state"]
    rows = server_rows(path)
    pairs = locate(rows, p["servers"], p["backend"])
    report = {name: {"backends": bks, "before": rows[(bks[0], name)]["status"]} for name, bks in pairs.items()}
    if state == "drained":
        todo = [(b, s) for s, bks in pairs.items() for b in bks if not rows[(b, s)]["status"].startswith("MAINT")]
    else:
        todo = [(b, s) for s, bks in pairs.items() for b in bks if rows[(b, s)]["status"].startswith(("MAINT", "DRAIN"))]
    changed = bool(todo)
    if module.check_mode or not todo and state == "drained":
        for name, bks in pairs.items():
            report[name]["after"] = report[name]["before"]
            report[name]["sessions"] = rows[(bks[0], name)]["sessions"]
        return dict(changed=changed, servers=report, timed_out=[], waited=0.0)

    for backend, name in todo:
        line = (enable_line(backend, name, rows[(backend, name)]["checked"]) if state == "enabled"
                else "set server %s/%s state drain" % (backend, name))
        problem = refusal(command(path, line))
        if problem:
            raise HAProxyError("HAProxy refused '%s': %s" % (line, problem))

    start = time.monotonic()
    deadline = start + p["timeout"]
    watch = [(b, s) for s, bks in pairs.items() for b in bks]
    while True:
        rows = server_rows(path)
        if state == "drained":
            # a drained server with no session left goes to maintenance at once
            ready = [(b, s) for (b, s) in watch
                     if rows[(b, s)]["sessions"] == 0 and not rows[(b, s)]["status"].startswith("MAINT")]
            for backend, name in ready:
                command(path, "set server %s/%s state maint" % (backend, name))
            if ready:
                rows = server_rows(path)
        pending = [(b, s) for (b, s) in watch if not settled(rows[(b, s)], state)]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(p["interval"])
    waited = round(time.monotonic() - start, 3)

    timed_out = sorted({s for (_b, s) in pending})
    if state == "drained" and pending:
        # the timeout ends the drain: in maintenance now, even with sessions still open
        for backend, name in pending:
            command(path, "set server %s/%s state maint" % (backend, name))
        rows = server_rows(path)
    for name, bks in pairs.items():
        report[name]["after"] = rows[(bks[0], name)]["status"]
        report[name]["sessions"] = rows[(bks[0], name)]["sessions"]
    result = dict(changed=changed, servers=report, timed_out=timed_out, waited=waited)
    if state == "enabled" and timed_out:
        module.fail_json(msg="HAProxy does not report %s UP after %ss (its health checks fail from the load balancer): %s"
                         % (", ".join(timed_out), p["timeout"],
                            "; ".join("%s is %s" % (s, report[s]["after"]) for s in timed_out)), **result)
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            servers=dict(type="list", elements="str", required=True),
            backend=dict(type="str", default=""),
            state=dict(type="str", choices=["drained", "enabled"], required=True),
            socket=dict(type="path", default="/run/haproxy/admin.sock"),
            timeout=dict(type="float", default=30),
            interval=dict(type="float", default=0.2),
        ),
        supports_check_mode=True,
    )
    try:
        module.exit_json(**run(module))
    except HAProxyError as exc:
        module.fail_json(msg=str(exc), servers={}, timed_out=[], waited=0.0)


if __name__ == "__main__":
    main()
