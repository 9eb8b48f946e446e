# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Health probes (HTTP, TCP, command) and the loop that waits for a run of good answers. Used by the
health_check module, by systemd_release on the host, and by its action plugin on the controller."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import ssl
import subprocess
import time
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request as UrlRequest, build_opener

BODY_LIMIT = 2000

# a signal as systemctl kill and docker kill take it: SIGINT, INT, SIGRTMIN+3, 2
SIGNAL_NAME = re.compile(r"^(SIG)?[A-Z][A-Z0-9]*([+-][0-9]+)?$|^[0-9]{1,2}$")


def parse_tcp(spec):
    """Return (host, port) from 'host:port' or '[v6]:port'; raise ValueError when malformed."""
    host, sep, port = spec.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("tcp must be host:port with a port from 1 to 65535, got %r" % spec)
    return host.strip("[]"), int(port)


def check_url(url):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("url must be an absolute http:// or https:// URL, got %r" % url)
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is not None and not 0 < port < 65536:
        raise ValueError("url has an invalid port: %r" % url)
    return url


def json_lookup(document, path):
    """Follow a dotted path through dicts (and list indexes); raise KeyError when absent."""
    node = document
    for part in path.split("."):
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        elif isinstance(node, dict) and part in node:
            node = node[part]
        else:
            raise KeyError(path)
    return node


def judge_http(status, body, params):
    """Return None when the response is healthy, else the reason it is not."""
    if status not in params["status_code"]:
        return "status %s, expected %s" % (status, ", ".join(str(c) for c in params["status_code"]))
    if params["body_regex"] and not re.search(params["body_regex"], body):
        return "body does not match %r" % params["body_regex"]
    if params["json_field"]:
        try:
            value = json_lookup(json.loads(body), params["json_field"])
        except ValueError:
            return "body is not JSON"
        except KeyError:
            return "JSON field %r is missing" % params["json_field"]
        shown = value if isinstance(value, str) else json.dumps(value)
        if shown != params["json_equals"]:
            return "JSON field %r is %r, expected %r" % (params["json_field"], shown, params["json_equals"])
    return None


_PLAIN = []


def http_get(params):
    """GET params['url']; redirects are followed for GET, as Ansible's follow_redirects=safe does.
    A plain http:// URL goes through urllib's own handlers, made once: Ansible's Request builds a
    TLS context for every request, http:// or not, about 25 ms of CPU, and a gate probes several
    times per host. https://, or a check that turns certificate checks off, goes through Request,
    imported only then (it imports much of ansible.module_utils, some 30 ms more)."""
    if params["url"].lower().startswith("http://") and params["validate_certs"]:
        if not _PLAIN:
            _PLAIN.append(build_opener())
        return _PLAIN[0].open(UrlRequest(params["url"], headers=dict(params["headers"] or {})),
                              timeout=params["request_timeout"])
    from ansible.module_utils.urls import Request  # pylint: disable=import-outside-toplevel

    request = Request(headers=params["headers"], validate_certs=params["validate_certs"],
                      timeout=params["request_timeout"], follow_redirects="safe")
    return request.get(params["url"])


def plain_http(checks):
    """True when the checks need nothing of ansible.module_utils on the host: each is a tcp check, a
    command, or an http:// URL with certificate checks left on (http_get's own rule)."""
    if not isinstance(checks, list):
        return False
    for check in checks:
        if not isinstance(check, dict):
            return False
        url = check.get("url")
        if url is not None and not (isinstance(url, str) and url.lower().startswith("http://")
                                    and check.get("validate_certs", True) is True):
            return False
    return True


def probe_http(params):
    try:
        resp = http_get(params)
        status, body = resp.getcode(), resp.read().decode("utf-8", "replace")
    except HTTPError as exc:
        status = exc.code
        try:
            body = exc.read().decode("utf-8", "replace")
        except Exception:  # pylint: disable=broad-except
            body = ""
    except (URLError, socket.error, ssl.SSLError, OSError) as exc:
        return None, "connection failed: %s" % getattr(exc, "reason", exc), False
    reason = judge_http(status, body, params)
    return status, (reason + ": " if reason else "") + body[:BODY_LIMIT], reason is None


def probe_tcp(params):
    host, port = parse_tcp(params["tcp"])
    try:
        with socket.create_connection((host, port), timeout=params["request_timeout"]):
            return None, "connected to %s:%d" % (host, port), True
    except (socket.error, OSError) as exc:
        return None, "connection to %s:%d failed: %s" % (host, port, exc), False


CHECK_KEYS = ("url", "tcp", "command", "status_code", "body_regex", "json_field", "json_equals")
KINDS = ("url", "tcp", "command")


def expand_checks(params):
    """Return the list of single-probe parameter sets this invocation stands for."""
    if not params.get("checks"):
        return [params]
    out = []
    for index, item in enumerate(params["checks"]):
        unknown = set(item) - set(CHECK_KEYS)
        if unknown:
            raise ValueError("checks[%d]: unknown key(s) %s; allowed: %s"
                             % (index, ", ".join(sorted(unknown)), ", ".join(CHECK_KEYS)))
        one = dict(params, url=None, tcp=None, command=None, checks=None)
        one.update(item)
        if sum(1 for kind in KINDS if one.get(kind)) != 1:
            raise ValueError("checks[%d]: give exactly one of url, tcp and command" % index)
        if one["command"] and one["json_field"]:
            raise ValueError("checks[%d]: json_field applies to url checks, not to a command" % index)
        if bool(one["json_field"]) != (one["json_equals"] is not None):
            raise ValueError("checks[%d]: json_field and json_equals go together" % index)
        if one["tcp"] and (one["body_regex"] or one["json_field"]):
            raise ValueError("checks[%d]: body_regex and json_field do not apply to a tcp check" % index)
        if one["json_equals"] is not None:
            one["json_equals"] = str(one["json_equals"])
        codes = one["status_code"] if isinstance(one["status_code"], list) else [one["status_code"]]
        try:
            one["status_code"] = [int(code) for code in codes]
        except (TypeError, ValueError):
            raise ValueError("checks[%d]: status_code must be a number or a list of numbers, got %r"
                             % (index, one["status_code"]))
        out.append(one)
    return out


def command_argv(command):
    """A command as an argument list: lists as they are, strings split like a shell would."""
    if isinstance(command, (list, tuple)) and command and all(isinstance(a, (str, int)) for a in command):
        return [str(a) for a in command]
    if isinstance(command, str) and command.strip():
        return shlex.split(command)
    raise ValueError("command must be a non-empty list of arguments or a string, got %r" % (command,))


def validate(one):
    if one["url"]:
        check_url(one["url"])
    elif one["tcp"]:
        parse_tcp(one["tcp"])
    else:
        one["command"] = command_argv(one["command"])
    if one["body_regex"]:
        re.compile(one["body_regex"])


def probe_command(params):
    try:
        proc = subprocess.run(params["command"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=params["request_timeout"], check=False)
    except subprocess.TimeoutExpired:
        return None, "command timed out after %ss" % params["request_timeout"], False
    except OSError as exc:
        return None, "command could not run: %s" % exc, False
    out = proc.stdout.decode("utf-8", "replace")[-BODY_LIMIT:]
    if proc.returncode != 0:
        return None, "exit code %d: %s" % (proc.returncode, out), False
    if params["body_regex"] and not re.search(params["body_regex"], out):
        return None, "output does not match %r: %s" % (params["body_regex"], out), False
    return None, out, True


PROBES = {"url": probe_http, "tcp": probe_tcp, "command": probe_command}


def describe(one):
    return one["url"] or one["tcp"] or " ".join(one["command"])


def probe_all(checks):
    """A probe that passes when every check passes; reports the first failure."""
    def probe(_params):
        status, last = None, ""
        for one in checks:
            kind = next(k for k in KINDS if one.get(k))
            status, last, good = PROBES[kind](one)
            if not good:
                return status, "%s: %s" % (describe(one), last) if len(checks) > 1 else last, False
        return status, last, True
    return probe


def journal_tail(unit, lines):
    """The last lines of a unit's journal, or a line saying why there are none."""
    journalctl = shutil.which("journalctl") or ("/usr/bin/journalctl" if os.path.exists("/usr/bin/journalctl") else None)
    if not journalctl:
        return ["(journalctl not found on this host)"]
    try:
        proc = subprocess.run([journalctl, "-u", unit, "-n", str(lines), "--no-pager", "-o", "short-iso"],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return ["journalctl failed: %s" % exc]
    text = proc.stdout.decode("utf-8", "replace")
    if proc.returncode != 0:
        text = "journalctl failed: %s" % text
    return text.splitlines()[-lines:]


FIRST_RETRY = 0.05


def run_check(params, probe, clock=time.monotonic, sleep=time.sleep):
    """Probe until params['successes'] consecutive good answers or params['timeout'] passes.
    Until the first good answer the wait between probes starts at FIRST_RETRY and doubles up to
    params['interval'] (a service that starts in 100 ms is seen then, not an interval later);
    from the first good answer on, probes are params['interval'] apart."""
    if params["delay"]:
        sleep(params["delay"])
    start = clock()
    attempts = streak = 0
    status, last = None, ""
    seen_good = False
    backoff = min(FIRST_RETRY, params["interval"])
    while True:
        attempts += 1
        status, last, good = probe(params)
        seen_good = seen_good or good
        streak = streak + 1 if good else 0
        if streak >= params["successes"]:
            return True, attempts, clock() - start, status, last
        pause = params["interval"] if seen_good else backoff
        backoff = min(backoff * 2, params["interval"])
        if clock() - start + pause > params["timeout"]:
            return False, attempts, clock() - start, status, last
        sleep(pause)


def unhealthy_line(target, timeout, attempts, successes, last):
    """The one-line reason a gate failed, as the health_check and systemd_release modules say it."""
    return "%s did not become healthy within %ss (%d probe(s), %d in a row needed); last: %s" % (
        target, timeout, attempts, successes, last[:500])


def retarget_checks(checks, from_version, to_version):
    """Checks for the release a rollback switches to: a check that expected from_version in a JSON
    field expects to_version instead, and is dropped when that version is unknown."""
    out = []
    for check in checks:
        if check.get("json_equals") is not None and str(check["json_equals"]) == str(from_version):
            if not to_version:
                continue
            check = dict(check, json_equals=str(to_version))
        out.append(check)
    return out


def gate(checks, timeout, interval, successes, delay=0, request_timeout=5, clock=time.monotonic, sleep=time.sleep):
    """Validate checks and wait for them; returns a dict: healthy, attempts, elapsed, status, last_response."""
    base = dict(url=None, tcp=None, command=None, checks=checks, status_code=[200], body_regex=None,
                json_field=None, json_equals=None, headers={}, validate_certs=True, delay=delay, interval=interval,
                timeout=timeout, request_timeout=request_timeout, successes=successes)
    expanded = expand_checks(base)
    for one in expanded:
        validate(one)
    healthy, attempts, elapsed, status, last = run_check(base, probe_all(expanded), clock=clock, sleep=sleep)
    return dict(healthy=healthy, attempts=attempts, elapsed=round(elapsed, 3), status=status, last_response=last,
                target=describe(expanded[0]) if len(expanded) == 1 else "%d checks" % len(expanded))


def rollback_clause(rolled_to, rollback_res, rollback_on_failure):
    """The part of a failed release's message that says where the host went: back to a healthy
    release, to one that is not healthy either, nowhere (rollback off, or nothing to go back to).
    Shared by systemd_release and container_release."""
    if rolled_to and rollback_res and rollback_res["healthy"]:
        return " and was rolled back to %s, which is healthy again" % rolled_to
    if rolled_to:
        return " and was rolled back to %s, which is NOT healthy either (last: %s)" % (
            rolled_to, rollback_res["last_response"][:300] if rollback_res else "not probed")
    if not rollback_on_failure:
        return " (automatic rollback is off)"
    return " and there is no earlier healthy release to roll back to"
