#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: health_check
short_description: Wait until a service is healthy, or fail showing why it is not
version_added: 0.1.0
description:
  - Probes a service over HTTP(S) or TCP until it has answered well a number of times in a row,
    or a deadline passes.
  - Runs where the task runs; on the target host by default, so the service's port need not be
    reachable from the controller. Use C(delegate_to) to probe from elsewhere.
  - On failure the message carries the last response seen and, when O(unit) is given, the last
    lines of that systemd unit's journal, so the reason is on screen rather than on the host.
  - Reads only; it never changes the host and reports C(changed=false).
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Probing is read-only, so it runs in check mode too unless O(skip_in_check_mode=true).
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  url:
    description:
      - HTTP or HTTPS URL to GET. Exactly one of O(url), O(tcp), O(command) and O(checks) is required.
    type: str
  tcp:
    description:
      - C(host:port) that must accept a TCP connection.
    type: str
  command:
    description:
      - A command (a list of arguments, or a string split like a shell would, without a shell) that must exit 0,
        for example C([/opt/hello/current/hello, -healthcheck]). Its output is the response.
    type: raw
  checks:
    description:
      - Several probes that must all pass in the same attempt, for example readiness and the version.
      - Each takes O(url), O(tcp) or O(command) and, for URLs, O(status_code), O(body_regex), O(json_field)
        and O(json_equals) (O(body_regex) also applies to a command's output); what an item leaves out comes
        from the top-level options.
    type: list
    elements: dict
  status_code:
    description: HTTP status codes that count as healthy.
    type: list
    elements: int
    default: [200]
  body_regex:
    description: A regular expression the response body must match (searched, not anchored).
    type: str
  json_field:
    description:
      - Dotted path of a field in a JSON response body, for example C(version) or C(build.commit).
      - Requires O(json_equals).
    type: str
  json_equals:
    description: The value, as a string, the O(json_field) must equal.
    type: str
  headers:
    description: Extra request headers.
    type: dict
    default: {}
  validate_certs:
    description: Verify TLS certificates for HTTPS.
    type: bool
    default: true
  delay:
    description: Seconds to wait before the first probe (start-up grace period).
    type: float
    default: 0
  interval:
    description: Seconds between probes.
    type: float
    default: 1
  timeout:
    description: Seconds after which the check gives up, counted from the first probe.
    type: float
    default: 60
  request_timeout:
    description: Seconds one probe may take.
    type: float
    default: 5
  successes:
    description: Consecutive good probes needed.
    type: int
    default: 1
  unit:
    description: systemd unit whose journal tail is reported on failure.
    type: str
  journal_lines:
    description: How many journal lines to report on failure.
    type: int
    default: 30
  skip_in_check_mode:
    description: Report without probing when running in check mode.
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Wait until the new release serves its own version
  gopherops.baremetal.health_check:
    url: http://127.0.0.1:8080/version
    json_field: version
    json_equals: "{{ release_version }}"
    successes: 3
    timeout: 60
    unit: hello.service

- name: Ready, and running the release just deployed
  gopherops.baremetal.health_check:
    checks:
      - url: http://127.0.0.1:8080/readyz
      - url: http://127.0.0.1:8080/version
        json_field: version
        json_equals: "{{ release_version }}"
    successes: 2
    unit: hello.service

- name: Probe from the controller instead of the host
  gopherops.baremetal.health_check:
    url: "http://{{ ansible_host }}:8080/healthz"
  delegate_to: localhost

- name: Wait for a TCP port
  gopherops.baremetal.health_check:
    tcp: 127.0.0.1:5432

- name: Ask the binary itself
  gopherops.baremetal.health_check:
    command: [/opt/hello/current/hello, -healthcheck]
    successes: 3
"""

RETURN = r"""
healthy:
  description: Whether the check passed.
  returned: always
  type: bool
attempts:
  description: Number of probes made.
  returned: always
  type: int
elapsed:
  description: Seconds spent probing.
  returned: always
  type: float
status:
  description: HTTP status of the last response (null for TCP checks or when nothing answered).
  returned: always
  type: int
last_response:
  description:
    - The last response body (first 2000 characters) or connection error; with O(checks), that of
      the first check that failed, or of the last check when all passed.
  returned: always
  type: str
journal:
  description: The unit's journal tail, only on failure with O(unit) set.
  returned: failure
  type: list
  elements: str
"""

import json
import re
import shlex
import socket
import ssl
import subprocess
import time
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.urls import Request

BODY_LIMIT = 2000


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


def probe_http(params):
    request = Request(headers=params["headers"], validate_certs=params["validate_certs"],
                      timeout=params["request_timeout"], follow_redirects="safe")
    try:
        resp = request.get(params["url"])
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


def journal_tail(module, unit, lines):
    journalctl = module.get_bin_path("journalctl")
    if not journalctl:
        return ["(journalctl not found on this host)"]
    rc, out, err = module.run_command([journalctl, "-u", unit, "-n", str(lines), "--no-pager", "-o", "short-iso"])
    text = out if rc == 0 else "journalctl failed: %s" % (err or out)
    return text.splitlines()[-lines:]


def run_check(params, probe, clock=time.monotonic, sleep=time.sleep):
    """Probe until params['successes'] consecutive good answers or params['timeout'] passes."""
    if params["delay"]:
        sleep(params["delay"])
    start = clock()
    attempts = streak = 0
    status, last = None, ""
    while True:
        attempts += 1
        status, last, good = probe(params)
        streak = streak + 1 if good else 0
        if streak >= params["successes"]:
            return True, attempts, clock() - start, status, last
        if clock() - start + params["interval"] > params["timeout"]:
            return False, attempts, clock() - start, status, last
        sleep(params["interval"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str"),
            tcp=dict(type="str"),
            command=dict(type="raw"),
            checks=dict(type="list", elements="dict"),
            status_code=dict(type="list", elements="int", default=[200]),
            body_regex=dict(type="str"),
            json_field=dict(type="str"),
            json_equals=dict(type="str"),
            headers=dict(type="dict", default={}),
            validate_certs=dict(type="bool", default=True),
            delay=dict(type="float", default=0),
            interval=dict(type="float", default=1),
            timeout=dict(type="float", default=60),
            request_timeout=dict(type="float", default=5),
            successes=dict(type="int", default=1),
            unit=dict(type="str"),
            journal_lines=dict(type="int", default=30),
            skip_in_check_mode=dict(type="bool", default=False),
        ),
        required_one_of=[("url", "tcp", "command", "checks")],
        mutually_exclusive=[("url", "tcp", "command", "checks"), ("tcp", "body_regex"), ("tcp", "json_field"),
                            ("command", "json_field")],
        required_together=[("json_field", "json_equals")],
        supports_check_mode=True,
    )
    params = module.params
    try:
        checks = expand_checks(params)
        for one in checks:
            validate(one)
    except (ValueError, re.error) as exc:
        module.fail_json(msg="health_check: %s" % exc, healthy=False, attempts=0, elapsed=0.0,
                         status=None, last_response="")
    for name in ("interval", "timeout", "request_timeout"):
        if params[name] <= 0:
            module.fail_json(msg="health_check: %s must be greater than 0" % name)
    if params["successes"] < 1 or params["delay"] < 0 or params["journal_lines"] < 0:
        module.fail_json(msg="health_check: successes must be at least 1; delay and journal_lines not negative")

    if module.check_mode and params["skip_in_check_mode"]:
        module.exit_json(changed=False, skipped=True, msg="not probed in check mode", healthy=True,
                         attempts=0, elapsed=0.0, status=None, last_response="")

    healthy, attempts, elapsed, status, last = run_check(params, probe_all(checks))
    result = dict(changed=False, healthy=healthy, attempts=attempts, elapsed=round(elapsed, 3),
                  status=status, last_response=last)
    if healthy:
        module.exit_json(msg="healthy after %d probe(s)" % attempts, **result)
    target = describe(checks[0]) if len(checks) == 1 else "%d checks" % len(checks)
    msg = "%s did not become healthy within %ss (%d probe(s), %d in a row needed); last: %s" % (
        target, params["timeout"], attempts, params["successes"], last[:500])
    if params["unit"]:
        result["journal"] = journal_tail(module, params["unit"], params["journal_lines"])
        msg += "\n--- journal of %s (last %d lines) ---\n%s" % (
            params["unit"], params["journal_lines"], "\n".join(result["journal"]))
    module.fail_json(msg=msg, **result)


if __name__ == "__main__":
    main()
