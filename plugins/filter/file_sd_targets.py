# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: file_sd_targets
short_description: Prometheus file_sd target lists, one per job, from the hosts of a fleet
version_added: 0.1.0
description:
  - Builds the content of each job's file_sd file (a list of C(targets) and C(labels) entries, one entry per host so
    that each host carries its own labels) for the Go service and for each exporter.
  - Every entry has the labels C(env), C(host) and, for the service's job, C(app) and C(version) (the release the host
    runs or is to run); O(labels) are added to all.
  - Fails naming the setting when a port, a job name or a host address is not usable, so nothing half-made is written.
options:
  _input:
    description: The hosts, each a dict with C(name), C(address) (how Prometheus reaches it) and C(version).
    type: list
    elements: dict
    required: true
  app:
    description: Name of the service's job (its C(app) label); empty for no service job.
    type: str
    required: true
  app_port:
    description: Port of the service's C(/metrics).
    type: int
    required: true
  exporters:
    description: Job name to port of each exporter, for example node to 9100.
    type: dict
    required: true
  env:
    description: The C(env) label.
    type: str
    required: true
  labels:
    description: More labels for every target.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: The target files' contents
  ansible.builtin.set_fact:
    files: >-
      {{ [{'name': 'app1', 'address': 'app1.example.com', 'version': '1.4.0'}]
         | gopherops.baremetal.file_sd_targets('hello', 8080, {'node': 9100}, 'production') }}
"""

RETURN = r"""
_value:
  description: Job name to the list that its file holds.
  type: dict
"""

import re

from ansible.errors import AnsibleFilterError

JOB_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
LABEL_RE = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
ADDRESS_RE = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)$")


def _port(name, value):
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 0 < port < 65536 or str(value).strip() != str(port):
        raise AnsibleFilterError("%s must be a port number from 1 to 65535 (got %r)" % (name, value))
    return port


def file_sd_targets(hosts, app, app_port, exporters, env, labels=None):
    labels = dict(labels or {})
    bad = sorted(k for k in labels if not LABEL_RE.match(str(k)) or str(k).startswith("__"))
    if bad:
        raise AnsibleFilterError("prometheus_targets_labels has names Prometheus refuses: %s (letters, digits and _, "
                                 "not starting with a digit or __)" % ", ".join(map(str, bad)))
    if not isinstance(exporters, dict):
        raise AnsibleFilterError("prometheus_targets_exporters must be a mapping of job names to ports (got %r)"
                                 % (exporters,))
    jobs = {}
    if app:
        jobs[str(app)] = (_port("prometheus_targets_app_port", app_port), True)
    for job, port in exporters.items():
        if str(job) in jobs:
            raise AnsibleFilterError("prometheus_targets_exporters names the job %s, which is the service's "
                                     "(prometheus_targets_app); give the exporter another job name" % job)
        jobs[str(job)] = (_port("prometheus_targets_exporters.%s" % job, port), False)
    for job in jobs:
        if not JOB_RE.match(job):
            raise AnsibleFilterError("%r is not a usable job name (letters, digits, '_', '.', '-')" % job)
    out = {}
    for job, (port, is_app) in sorted(jobs.items()):
        entries = []
        for host in hosts:
            address = str(host.get("address") or host["name"])
            if not ADDRESS_RE.match(address):
                raise AnsibleFilterError("prometheus_targets_address of %s is not a host name or address (got %r)"
                                         % (host["name"], address))
            entry_labels = dict({str(k): str(v) for k, v in labels.items()}, env=str(env), host=str(host["name"]))
            if is_app:
                entry_labels.update(app=str(app), version=str(host.get("version") or ""))
            entries.append({"targets": ["%s:%d" % (address, port)], "labels": entry_labels})
        out[job] = entries
    return out


class FilterModule(object):
    """Prometheus target filters."""

    def filters(self):
        return {"file_sd_targets": file_sd_targets}
