# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: exporter_problems
short_description: Every problem of a Prometheus exporter's settings, each naming its variable
version_added: 0.1.0
description:
  - Checks the settings of the prometheus_exporter role before any host changes and returns one sentence
    per problem (empty when there is none).
  - An install method other than C(package) or C(tarball), a version that is not exact, a flag that is not
    C(--name) or C(--name=value), an architecture Prometheus makes no archive for, an architecture of the
    fleet without its own sha256, a basic-auth user without a password, a TLS certificate without its key.
options:
  _input:
    description: The exporter's binary name.
    type: str
    required: true
  version:
    description: The version to install.
    type: str
    default: ""
  install:
    description: C(package) or C(tarball).
    type: str
    default: tarball
  flags:
    description: The exporter's flags.
    type: list
    elements: str
    default: []
  checksums:
    description: As for P(gopherops.baremetal.exporter_asset#filter).
    type: raw
    default: {}
  arches:
    description: The Go targets (P(gopherops.baremetal.goarch#filter) results) or archive suffixes of the hosts.
    type: list
    elements: raw
    default: []
  users:
    description: Basic-auth users and their passwords.
    type: dict
    default: {}
  tls:
    description: C(cert_file), C(key_file) and C(client_ca_file).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Stop on bad exporter settings
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ 'node_exporter' | gopherops.baremetal.exporter_problems(version='1.8.2', flags=['--collector.systemd']) }}"
"""

RETURN = r"""
_value:
  description: The problems, empty when there is none.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils import exporter as ex


def exporter_problems(name, version="", install="tarball", flags=None, checksums=None, arches=None, users=None, tls=None):
    try:
        return ex.problems(name, version, install, flags if flags is not None else [], checksums or {},
                           arches or [], users if users is not None else {}, tls or {})
    except ex.ExporterError as exc:
        raise AnsibleFilterError("exporter_problems: %s" % exc)


class FilterModule:
    """Prometheus exporter filters."""

    def filters(self):
        return {"exporter_problems": exporter_problems}
