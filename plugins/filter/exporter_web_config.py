# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: exporter_web_config
short_description: The web configuration (TLS, basic auth) of a Prometheus exporter, idempotent
version_added: 0.1.0
description:
  - Builds the exporter toolkit's C(web.yml) as a mapping. Passwords become bcrypt hashes; a user keeps the
    hash already in O(existing) while it matches the password, so a rerun writes the same file.
  - Needs the Python package C(bcrypt) on the controller when there are users.
options:
  _input:
    description: Basic-auth users and their passwords; empty for none.
    type: dict
    required: true
  existing:
    description: The C(web.yml) in use on the host, parsed (or empty).
    type: dict
    default: {}
  tls:
    description: C(cert_file), C(key_file) and optionally C(client_ca_file) (then clients need a certificate).
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Web configuration with one user
  ansible.builtin.copy:
    content: "{{ {'prometheus': vault_scrape_password} | gopherops.baremetal.exporter_web_config(existing=old) | to_nice_yaml }}"
    dest: /etc/node_exporter/web.yml
    mode: "0640"
"""

RETURN = r"""
_value:
  description: The web configuration; empty when neither TLS nor users are set.
  type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils import exporter as ex


def exporter_web_config(users, existing=None, tls=None):
    if not isinstance(users, dict):
        raise AnsibleFilterError("exporter_web_config: users must map names to passwords")
    try:
        hashed = ex.hash_users(users, ((existing or {}).get("basic_auth_users") or {}) if isinstance(existing, dict) else {})
    except ImportError:
        raise AnsibleFilterError("exporter_web_config: basic auth needs the Python package bcrypt on the controller "
                                 "(pip install bcrypt)")
    except ValueError as exc:
        raise AnsibleFilterError("exporter_web_config: a password cannot be hashed with bcrypt: %s" % exc)
    return ex.web_config(tls or {}, hashed)


class FilterModule:
    """Prometheus exporter filters."""

    def filters(self):
        return {"exporter_web_config": exporter_web_config}
