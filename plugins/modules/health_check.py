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
    description: Seconds between probes once one has passed; until then the first retry comes after 0.05 s and the wait doubles up to this.
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

import re

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gopherops.baremetal.plugins.module_utils.health import (
    describe, expand_checks, journal_tail, probe_all, run_check, unhealthy_line, validate)


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
    msg = unhealthy_line(target, params["timeout"], attempts, params["successes"], last)
    if params["unit"]:
        result["journal"] = journal_tail(params["unit"], params["journal_lines"])
        msg += "\n--- journal of %s (last %d lines) ---\n%s" % (
            params["unit"], params["journal_lines"], "\n".join(result["journal"]))
    module.fail_json(msg=msg, **result)


if __name__ == "__main__":
    main()
