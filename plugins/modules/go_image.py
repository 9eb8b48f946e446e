#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: go_image
short_description: Make a minimal, reproducible container image archive for a Go binary, without Docker
version_added: 0.1.0
description:
  - Writes an image archive that C(docker load) reads (gzip-compressed, the format of C(docker save)) holding
    one layer with the binary, like a C(FROM scratch) image. No Docker engine, registry or Dockerfile is needed
    where it runs; the go_container role runs it on the controller.
  - The layer holds the binary at O(entrypoint), an empty C(/tmp) (mode 1777), C(/etc/passwd) and C(/etc/group)
    naming the numeric O(user), and, when asked, CA certificates (O(ca_certificates)) and time zone data
    (O(zoneinfo)).
  - Reproducible; sorted entries, zero times, root owners and a fixed creation time make every byte depend on
    the inputs only, so the same binary and options give the same image id on every build and every controller.
    A host that already has the image then needs nothing sent.
  - The image config carries O(user), O(ports) as C(EXPOSE), a C(HEALTHCHECK) that runs the binary itself
    (no shell in the image), and labels with the version, commit and the binary's sha256.
  - The archive is rewritten only when the image id changes or the cached archive does not match the sha256
    recorded beside it.
  - With O(archive) instead of O(binary), the image is one built elsewhere (C(docker build) in CI, for example) and
    saved with C(docker save); nothing is written. The module reads the archive, checks that it holds one image
    for O(goarch), and returns the same fields, so that image is sent, run and gated the same way. Its tag
    defaults to C(<version>-<first 8 hex digits of the image id>).
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Computes the image id and reports whether the archive would be written; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  name:
    description: Repository name of the image, for example C(hello); lowercase letters, digits and C(. _ -).
    type: str
    required: true
  tag:
    description:
      - Tag of the image; the go_container role passes the release id (C(<version>-<sha256[:8]>)).
      - Required with O(binary). With O(archive) it defaults to C(<version>-<image id[:8]>).
    type: str
  binary:
    description:
      - The Go binary on the machine this runs on (normally the controller).
      - One of O(binary) and O(archive) is required.
    type: path
  archive:
    description:
      - An image built elsewhere, as C(docker save IMAGE) writes it (plain tar, or gzip-compressed to send less), on
        the machine this runs on. It must hold exactly one image, made for O(goarch).
      - The options that shape a new image (O(entrypoint), O(user), O(ports), O(labels), O(healthcheck) and so on) do
        not apply; the image's own config is returned in RV(config).
      - O(version) is required with it.
    type: path
  sha256:
    description:
      - Expected sha256 of O(binary); the module fails when the binary does not match.
      - Empty in check mode means the binary is not built yet (what go_build reports in check mode); the module
        then reports the image as pending.
    type: str
  goarch:
    description: GOARCH of the binary; sets the image's architecture (and variant for C(arm64) and C(arm)).
    type: str
    required: true
  goarm:
    description: GOARM of a 32-bit ARM binary (the image variant C(v<goarm>)).
    type: str
  dest:
    description: Directory for the archive C(<name>_<tag>_<goarch>.docker.tar.gz) and its C(.json) record.
    type: path
    required: true
  entrypoint:
    description: Absolute path of the binary inside the image. Defaults to C(/<name>).
    type: str
  args:
    description: Default arguments (the image's C(CMD)); the container may replace them.
    type: list
    elements: str
    default: []
  user:
    description:
      - Numeric C(uid) or C(uid:gid) the container runs as. Not root; names are refused because a FROM scratch
        image cannot resolve them.
    type: str
    default: "65532:65532"
  account:
    description: Name given to O(user) in the image's C(/etc/passwd) and C(/etc/group).
    type: str
    default: app
  env:
    description: Environment variables baked into the image config. Never put secrets here; the image config
      is readable by everyone who can pull or inspect it.
    type: dict
    default: {}
  ports:
    description: Ports the service listens on (C(EXPOSE)); a number means TCP, C(8125/udp) names the protocol.
    type: list
    elements: str
    default: []
  labels:
    description: Extra labels; the module adds C(org.opencontainers.image.title), C(.version), C(.revision) and
      C(org.gopherops.binary.sha256).
    type: dict
    default: {}
  version:
    description: Version recorded in the labels.
    type: str
    default: ""
  commit:
    description: Commit recorded in the labels.
    type: str
    default: ""
  created:
    description:
      - Creation time of the image (ISO 8601), part of what fixes the image id. The go_container role passes the
        artifact's C(date) stamp, which go_build takes from the commit. Empty means 1970-01-01.
    type: str
    default: ""
  healthcheck:
    description:
      - Command of the image's C(HEALTHCHECK), run without a shell. Defaults to C([<entrypoint>, -healthcheck]),
        which the example service answers. An empty list writes C(HEALTHCHECK NONE).
    type: list
    elements: str
  health_interval:
    description: Seconds between health checks run by Docker.
    type: float
    default: 5
  health_timeout:
    description: Seconds one health check may take.
    type: float
    default: 3
  health_start_period:
    description: Seconds after start during which failed checks do not count.
    type: float
    default: 0
  health_retries:
    description: Consecutive failures that make the container unhealthy.
    type: int
    default: 3
  ca_certificates:
    description: A CA bundle on the controller to add as C(/etc/ssl/certs/ca-certificates.crt), for example
      C(/etc/ssl/certs/ca-certificates.crt). Unset, the image has none (Go's TLS client then trusts nothing).
    type: path
  zoneinfo:
    description: A time zone database directory (for example C(/usr/share/zoneinfo), about 4 MB) to add as
      C(/usr/share/zoneinfo). A Go binary built with C(-tags timetzdata) carries its own and needs none.
    type: path
"""

EXAMPLES = r"""
- name: Image for the amd64 binary
  gopherops.baremetal.go_image:
    name: hello
    tag: "1.4.0-{{ artifact.sha256[:8] }}"
    binary: "{{ artifact.path }}"
    sha256: "{{ artifact.sha256 }}"
    goarch: amd64
    version: 1.4.0
    commit: "{{ artifact.commit }}"
    ports: ["8080"]
    dest: "{{ playbook_dir }}/.build/images"
  delegate_to: localhost
  run_once: true
  register: image

- name: Describe an image that CI built and saved (docker save hello:1.4.0 | gzip > hello-1.4.0.tar.gz)
  gopherops.baremetal.go_image:
    name: hello
    archive: /srv/images/hello-1.4.0.tar.gz
    goarch: amd64
    version: 1.4.0
    dest: "{{ playbook_dir }}/.build/images"
  delegate_to: localhost
  run_once: true
  register: image
"""

RETURN = r"""
image_id:
  description: The image id (C(sha256:) and the sha256 of the image config), as C(docker image inspect) shows it.
  returned: success
  type: str
repo_tag:
  description: C(<name>:<tag>).
  returned: success
  type: str
path:
  description: The archive (gzip-compressed C(docker save) format), or O(archive) itself.
  returned: success
  type: str
source:
  description: C(built) for an image made from O(binary), C(archive) for one read from O(archive).
  returned: success
  type: str
saved_tags:
  description: The tags the image had where it was saved (from O(archive)'s C(manifest.json)).
  returned: when O(archive) is given
  type: list
  elements: str
archive_sha256:
  description: sha256 of the archive file; empty in check mode when it would be written.
  returned: success
  type: str
size:
  description: Bytes of the uncompressed layer (what C(docker image ls) reports, give or take); 0 with O(archive).
  returned: success
  type: int
binary_size:
  description: Bytes of the binary; 0 with O(archive).
  returned: success
  type: int
compressed_size:
  description: Bytes of the archive; 0 in check mode when it would be written.
  returned: success
  type: int
config:
  description: The image config (architecture, config with User, Entrypoint, Env, ExposedPorts, Healthcheck, Labels).
  returned: success
  type: dict
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gopherops.baremetal.plugins.module_utils import container_image as ci
from ansible_collections.gopherops.baremetal.plugins.module_utils.fileutil import sha256_file

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    tag=dict(type="str"),
    binary=dict(type="path"),
    archive=dict(type="path"),
    sha256=dict(type="str"),
    goarch=dict(type="str", required=True),
    goarm=dict(type="str"),
    dest=dict(type="path", required=True),
    entrypoint=dict(type="str"),
    args=dict(type="list", elements="str", default=[]),
    user=dict(type="str", default="65532:65532"),
    account=dict(type="str", default="app"),
    env=dict(type="dict", default={}),
    ports=dict(type="list", elements="str", default=[]),
    labels=dict(type="dict", default={}),
    version=dict(type="str", default=""),
    commit=dict(type="str", default=""),
    created=dict(type="str", default=""),
    healthcheck=dict(type="list", elements="str"),
    health_interval=dict(type="float", default=5),
    health_timeout=dict(type="float", default=3),
    health_start_period=dict(type="float", default=0),
    health_retries=dict(type="int", default=3),
    ca_certificates=dict(type="path"),
    zoneinfo=dict(type="path"),
)


def read_record(path):
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return {}


def from_archive(module):
    """The image of a docker save archive made elsewhere, described as build() describes its own."""
    p = module.params
    name = ci.check_name(p["name"])
    if not p["version"]:
        raise ci.ImageError("version is required with archive")
    image = ci.read_image_archive(p["archive"])
    ci.check_platform(image["parsed"], p["goarch"], p["goarm"], what="the image in %s" % p["archive"])
    tag = ci.check_tag(p["tag"] or "%s-%s" % (p["version"], image["image_id"][7:15]))
    return dict(changed=False, image_id=image["image_id"], repo_tag="%s:%s" % (name, tag), path=p["archive"],
                archive_sha256=sha256_file(p["archive"]), size=0, binary_size=0,
                compressed_size=os.path.getsize(p["archive"]), config=image["parsed"], source="archive",
                saved_tags=image["repo_tags"])


def build(module):
    p = module.params
    if p["archive"]:
        return from_archive(module)
    name = ci.check_name(p["name"])
    if not p["tag"]:
        raise ci.ImageError("tag is required with binary")
    tag = ci.check_tag(p["tag"])
    entrypoint = p["entrypoint"] or "/" + name
    if not entrypoint.startswith("/") or entrypoint.endswith("/") or "/../" in entrypoint + "/":
        raise ci.ImageError("entrypoint must be an absolute file path inside the image, got %r" % entrypoint)
    uid, gid = ci.parse_user(p["user"])
    ci.platform(p["goarch"], p["goarm"])
    for key in ("ca_certificates", "zoneinfo"):
        if p[key] and not os.path.exists(p[key]):
            raise ci.ImageError("%s: %s does not exist on %s" % (key, p[key], "the controller"))
    for port in p["ports"]:
        number, _sep, proto = str(port).partition("/")
        if not number.isdigit() or not 0 < int(number) < 65536 or proto not in ("", "tcp", "udp", "sctp"):
            raise ci.ImageError("ports: %r is not a port (a number from 1 to 65535, optionally /tcp or /udp)" % port)
    archive_path = os.path.join(p["dest"], "%s_%s_%s.docker.tar.gz" % (name, tag, p["goarch"]))
    record_path = archive_path[:-len(".tar.gz")] + ".json"
    # check mode before the build: the binary is missing, or an older one is still at its path
    if not os.path.isfile(p["binary"]) or (module.check_mode and p["sha256"] == ""):
        if module.check_mode:
            return dict(changed=True, pending=True, source="built", image_id="", repo_tag="%s:%s" % (name, tag),
                        path=archive_path, archive_sha256="", size=0, binary_size=0, compressed_size=0, config={})
        raise ci.ImageError("binary %s does not exist; build it first (go_build)" % p["binary"])
    binary_sha = sha256_file(p["binary"])
    if p["sha256"] and binary_sha != p["sha256"]:
        raise ci.ImageError("binary %s has sha256 %s, expected %s; rebuild it" % (p["binary"], binary_sha, p["sha256"]))
    layer = ci.build_layer(p["binary"], entrypoint, uid, gid, account=p["account"],
                           ca_certificates=p["ca_certificates"], zoneinfo=p["zoneinfo"])
    labels = {"org.opencontainers.image.title": name, "org.opencontainers.image.version": p["version"],
              "org.opencontainers.image.revision": p["commit"], "org.gopherops.binary.sha256": binary_sha}
    labels.update({str(k): str(v) for k, v in p["labels"].items()})
    healthcheck = [entrypoint, "-healthcheck"] if p["healthcheck"] is None else p["healthcheck"]
    config = ci.image_config("sha256:" + ci.sha256_hex(layer), p["goarch"], p["goarm"], entrypoint=entrypoint,
                             args=p["args"], user="%d:%d" % (uid, gid), env=p["env"], ports=p["ports"],
                             labels=labels, healthcheck=healthcheck, health_interval=p["health_interval"],
                             health_timeout=p["health_timeout"], health_start_period=p["health_start_period"],
                             health_retries=p["health_retries"], created=ci.created_stamp(p["created"]))
    image_id = "sha256:" + ci.sha256_hex(ci.config_bytes(config))
    repo_tag = "%s:%s" % (name, tag)
    result = dict(image_id=image_id, repo_tag=repo_tag, path=archive_path, size=len(layer), source="built",
                  binary_size=os.path.getsize(p["binary"]), config=config)
    record = read_record(record_path)
    cached = (record.get("image_id") == image_id and record.get("repo_tag") == repo_tag
              and os.path.isfile(archive_path) and sha256_file(archive_path) == record.get("archive_sha256"))
    if cached:
        return dict(result, changed=False, archive_sha256=record["archive_sha256"],
                    compressed_size=os.path.getsize(archive_path))
    if module.check_mode:
        return dict(result, changed=True, archive_sha256="", compressed_size=0)
    os.makedirs(p["dest"], 0o755, exist_ok=True)
    ci.write_gzip(archive_path, ci.archive(layer, config, repo_tag))
    digest = sha256_file(archive_path)
    with open(record_path + ".tmp", "w", encoding="utf-8") as fh:
        json.dump({"image_id": image_id, "repo_tag": repo_tag, "archive_sha256": digest}, fh, indent=1)
    os.replace(record_path + ".tmp", record_path)
    return dict(result, changed=True, archive_sha256=digest, compressed_size=os.path.getsize(archive_path))


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True,
                           required_one_of=[("binary", "archive")], mutually_exclusive=[("binary", "archive")])
    try:
        module.exit_json(**build(module))
    except (ci.ImageError, OSError) as exc:
        module.fail_json(msg="go_image: %s" % exc)


if __name__ == "__main__":
    main()
