#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: image_push
short_description: Push an image archive (go_image's, or one docker save wrote) to a registry, without Docker
version_added: 0.1.0
description:
  - Pushes the one image of an archive written by M(gopherops.baremetal.go_image), or by C(docker save) for an image
    built elsewhere (plain or gzip-compressed), to a registry through the registry HTTP API (distribution v2); no
    Docker engine is needed where it runs (the go_container role runs it on the controller). The config and each
    layer (gzip-compressed; a layer compressed already as it is) are uploaded only when the registry lacks them,
    then an image manifest (schema 2) is put under O(tag).
  - The manifest's bytes depend on the image only, so its digest does too; a tag that already names that digest is
    left alone (C(changed=false), nothing sent). Hosts pull by digest (RV(reference)), so what runs is exactly what
    was pushed.
  - Authentication is HTTP basic (O(username), O(password)), as Debian's docker-registry with htpasswd asks.
    Registries that hand out bearer tokens (Docker Hub, GitLab, Harbor) are not supported in this release.
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Asks the registry whether the tag already names the image; sends nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  archive:
    description: The image archive (go_image's C(path), or a C(docker save) archive holding one image).
    type: path
    required: true
  url:
    description: Base URL of the registry as this machine reaches it, for example C(https://registry.example.com:5000).
    type: str
    required: true
  registry:
    description: The registry's name as the hosts reach it (C(host:port)), used in RV(reference). Defaults to the
      host and port of O(url).
    type: str
  repository:
    description: Repository, for example C(hello) or C(team/hello).
    type: str
    required: true
  tag:
    description: Tag to put the image under.
    type: str
    required: true
  username:
    description: User for HTTP basic authentication.
    type: str
  password:
    description: Password for HTTP basic authentication.
    type: str
  validate_certs:
    description: Check the registry's TLS certificate.
    type: bool
    default: true
  timeout:
    description: Seconds for each request.
    type: int
    default: 60
"""

EXAMPLES = r"""
- name: Push the image to the site's registry
  gopherops.baremetal.image_push:
    archive: "{{ image.path }}"
    url: https://registry.example.com:5000
    repository: hello
    tag: "{{ image.repo_tag.split(':')[1] }}"
    username: deploy
    password: "{{ vault_registry_password }}"
  delegate_to: localhost
  run_once: true
  register: pushed
"""

RETURN = r"""
digest:
  description: Digest of the image manifest.
  returned: success
  type: str
reference:
  description: C(<registry>/<repository>@<digest>), what hosts pull.
  returned: success
  type: str
sent_bytes:
  description: Bytes uploaded (0 when the registry had everything).
  returned: success
  type: int
"""

import re

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.six.moves.urllib.parse import urlparse
from ansible_collections.gopherops.baremetal.plugins.module_utils import registry as reg

REPO_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$")
TAG_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            archive=dict(type="path", required=True),
            url=dict(type="str", required=True),
            registry=dict(type="str"),
            repository=dict(type="str", required=True),
            tag=dict(type="str", required=True),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            validate_certs=dict(type="bool", default=True),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    p = module.params
    parsed = urlparse(p["url"])
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        module.fail_json(msg="image_push: url must be http(s)://host[:port], got %r" % p["url"])
    if not REPO_RE.match(p["repository"]):
        module.fail_json(msg="image_push: repository %r must be lowercase path components (letters, digits, . _ -)"
                             % p["repository"])
    if not TAG_RE.match(p["tag"]):
        module.fail_json(msg="image_push: tag %r is not a valid tag" % p["tag"])
    registry = p["registry"] or parsed.netloc
    if p["username"] and parsed.scheme == "http":
        module.warn("image_push: the registry password goes over plain http to %s; use https outside a lab" % parsed.netloc)
    try:
        config, layers = reg.read_archive(p["archive"])
        client = reg.Client(p["url"], p["username"], p["password"], p["validate_certs"], p["timeout"])
        out = reg.push(client, p["repository"], p["tag"], config, layers, check_mode=module.check_mode)
    except (reg.RegistryError, OSError, ValueError, KeyError) as exc:
        module.fail_json(msg="image_push: %s" % exc)
    module.exit_json(changed=out["changed"], digest=out["digest"], sent_bytes=out["sent_bytes"],
                     reference="%s/%s@%s" % (registry, p["repository"], out["digest"]))


if __name__ == "__main__":
    main()
