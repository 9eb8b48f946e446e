# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: exporter_asset
short_description: The release archive of a Prometheus exporter for one host, with its URL and sha256
version_added: 0.1.0
description:
  - Names the archive Prometheus publishes for an exporter and an architecture
    (C(node_exporter-1.8.2.linux-amd64.tar.gz)), fills in its download URL, and looks up the sha256 it
    must have, so that each architecture of a mixed fleet is checked against its own digest.
options:
  _input:
    description: The host's Go target, as the P(gopherops.baremetal.goarch#filter) filter returns it, or an archive suffix such as C(armv7).
    type: raw
    required: true
  name:
    description: The exporter's binary name, for example C(node_exporter).
    type: str
    required: true
  version:
    description: The exporter's version, for example C(1.8.2).
    type: str
    required: true
  url_template:
    description: The download URL with C({name}), C({version}), C({arch}) and C({asset}) to fill in.
    type: str
    required: true
  checksums:
    description: The sha256 of each archive, keyed by architecture (C(amd64)) or archive name, or the text of the release's C(sha256sums.txt).
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Archive, URL and sha256 of node_exporter for this host
  ansible.builtin.debug:
    msg: >-
      {{ ansible_facts.architecture | gopherops.baremetal.goarch
         | gopherops.baremetal.exporter_asset('node_exporter', '1.8.2', 'https://mirror.example.com/{asset}', checksums) }}
"""

RETURN = r"""
_value:
  description: C(arch), C(asset) (the archive's file name), C(dir) (the directory inside it), C(url) and C(sha256).
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils import exporter as ex


def exporter_asset(target, name, version, url_template, checksums):
    try:
        arch = ex.target_arch(target)
        return {"arch": arch, "asset": ex.asset_name(name, version, arch),
                "dir": ex.asset_dir(name, version, arch),
                "url": ex.asset_url(url_template, name, version, arch),
                "sha256": ex.checksum_for(checksums or {}, name, version, arch)}
    except ex.ExporterError as exc:
        raise AnsibleFilterError("exporter_asset: %s" % exc)


class FilterModule:
    """Prometheus exporter filters."""

    def filters(self):
        return {"exporter_asset": exporter_asset}
