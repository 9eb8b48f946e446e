# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: filebeat_config
short_description: Filebeat's configuration from structured settings, secrets kept for the keystore
version_added: 0.1.0
description:
  - Builds the mapping written to C(filebeat.yml) from the Go services deployed on a host, extra inputs, one
    output and processors, and checks the settings first; every problem is reported at once, naming the setting.
  - Each service gets one input with the fields C(app), C(env) and C(version) (when known). A service in
    C(systemd) mode is read from the journal (a C(journald) input matching C(_SYSTEMD_UNIT=<name>.service));
    one in C(docker) mode from Docker's json-file logs (a C(filestream) input with the C(container) parser,
    keeping only the events of the container named like the service).
  - Passwords, API keys and a TLS key passphrase never land in the configuration. Each one becomes a
    C(${KEY}) reference (C(ES_PASSWORD), C(ES_API_KEY), C(KAFKA_PASSWORD), C(REDIS_PASSWORD),
    C(<OUTPUT>_SSL_KEY_PASSPHRASE)) and its value is returned in C(keystore), for the Filebeat keystore.
options:
  _input:
    description:
      - The services deployed on the host, each with C(name), C(mode) (C(systemd) or C(docker), default C(systemd))
        and optionally C(version).
    type: list
    elements: dict
    required: true
  extra_inputs:
    description: More C(filestream) inputs, each with C(id), C(paths) (absolute) and optionally C(fields), C(parsers), C(processors).
    type: list
    elements: dict
    default: []
  output:
    description:
      - The one output, with C(type) (C(elasticsearch), C(logstash), C(kafka), C(redis) or C(file)) and that output's
        settings (C(hosts), C(username), C(topic), C(path), ...).
      - C(secrets) holds the secret settings (C(password), C(api_key)); given in place they are moved out as well.
      - C(tls) takes C(certificate_authorities), C(certificate), C(key) (absolute paths on the host),
        C(verification_mode), C(key_passphrase), C(supported_protocols) and C(enabled).
    type: dict
    required: true
  processors:
    description: Global processors, as Filebeat takes them.
    type: list
    elements: dict
  env:
    description: The environment name put in every event's C(fields.env).
    type: str
    default: ""
  settings:
    description:
      - Further top-level settings for C(filebeat.yml) (not C(filebeat.inputs), C(filebeat.config.inputs),
        C(filebeat.config.modules), C(filebeat.modules) or C(output.*)).
    type: dict
    default: {}
  modules:
    description:
      - Filebeat modules, module name to its filesets and settings (for example C(nginx) to C(access) to
        C(enabled=true)). Each becomes the file C(modules.d/<name>.yml), and C(filebeat.yml) loads
        C(modules.d/*.yml).
    type: dict
    default: {}
  inputs_dir:
    description:
      - Put each input in its own file C(inputs.d/<id>.yml), which C(filebeat.yml) loads with reloading on, so that
        an input added or removed does not restart Filebeat. Otherwise the inputs are in C(filebeat.yml).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Build Filebeat's configuration
  ansible.builtin.set_fact:
    filebeat_built: >-
      {{ [{'name': 'hello', 'mode': 'systemd', 'version': '1.2.0'}]
         | gopherops.baremetal.filebeat_config(output={'type': 'elasticsearch', 'hosts': ['https://es1:9200'],
             'username': 'filebeat', 'secrets': {'password': es_password}}, env='prod') }}
  no_log: true
"""

RETURN = r"""
_value:
  description: The configuration, the keystore entries and the TLS files the host must have.
  type: dict
  contains:
    config:
      description: The mapping for C(filebeat.yml); secrets appear only as C(${KEY}) references.
      type: dict
    keystore:
      description: Keystore key to secret value.
      type: dict
    tls_paths:
      description: The certificate and key paths the configuration names, to check on the host.
      type: list
      elements: str
    input_files:
      description: With O(inputs_dir), input id to the list its file in C(inputs.d) holds; otherwise empty.
      type: dict
    module_files:
      description: Module name to the list its file in C(modules.d) holds.
      type: dict
"""

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.module_utils.filebeat import FilebeatConfigError, build


def filebeat_config(services, extra_inputs=None, output=None, processors=None, env="", settings=None, modules=None,
                    inputs_dir=False):
    try:
        return build(services=services, extra_inputs=extra_inputs, output=output, processors=processors,
                     env=env, settings=settings, modules=modules, inputs_dir=inputs_dir)
    except FilebeatConfigError as exc:
        raise AnsibleFilterError("filebeat_config: %s" % exc)


class FilterModule(object):
    """Filebeat filters."""

    def filters(self):
        return {"filebeat_config": filebeat_config}
