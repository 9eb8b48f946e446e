#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: release
short_description: Put a release of a binary on a host, switch to it, roll back, and keep a manifest
version_added: 0.1.0
description:
  - Manages the release layout C(<base_dir>/releases/<release_id>/<binary_name>), the C(<base_dir>/current)
    link to the active release, and the manifest C(<base_dir>/releases.json) that records each release's
    sha256, when it was created and activated, the active, previous and last known good release, and
    the releases that failed.
  - The binary comes from the controller (O(src)). It is sent over the play's connection only when the
    release is not already on the host with the right sha256, to a temporary name; its sha256 is checked on
    the host before it is renamed into place, so an interrupted transfer never leaves a file that looks complete.
  - Rollback and pruning read the manifest, never file times. Pruning never removes the active release,
    the last known good one, the one a rollback would go to, or a previous release that did not fail.
  - Release directories the manifest does not know (for example after the manifest was lost) are added to
    it as C(unknown); they can be named in O(to) and are pruned oldest first, but are never picked by
    themselves for a rollback.
  - The C(current) link is replaced atomically (a new link renamed over the old one).
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
    details: The action plugin sends the binary to the host when the module reports that it is missing.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows the active release before and after.
  platform:
    platforms: posix
options:
  app:
    description: Name of the application, recorded in the manifest.
    type: str
    required: true
  base_dir:
    description: Directory holding C(releases/), C(current) and the manifest.
    type: path
    required: true
  state:
    description:
      - C(present) puts the release on the host without switching to it.
      - C(active) also points C(current) at it and prunes old releases.
      - C(healthy) records the active release (or O(release_id)) as the last known good.
      - C(failed) records O(release_id) as failed.
      - C(rollback) points C(current) at O(to), else the last known good release (or, when that is the active
        one, the most recent other release that was healthy), and records the release it leaves as failed.
      - C(query) changes nothing and returns the manifest.
    type: str
    choices: [present, active, healthy, failed, rollback, query]
    default: active
  release_id:
    description: Id of the release (the directory name), for example C(1.4.2-9f86d081). Required for C(present),
      C(active) and C(failed).
    type: str
  src:
    description: Path of the binary on the controller. Required for C(present) and C(active).
    type: path
  sha256:
    description:
      - Expected sha256 of the binary. Required for C(present) and C(active).
      - In check mode it may be empty, for an artifact that is not built yet; the release then counts as new.
    type: str
  binary_name:
    description: File name of the binary inside the release directory.
    type: str
  version:
    description: Version of the release, recorded in the manifest (health checks after a rollback use it).
    type: str
  to:
    description: Release to roll back to, for C(rollback).
    type: str
  keep_releases:
    description: How many releases to keep after an activation; older ones are removed (never the active,
      previous or last known good).
    type: int
    default: 5
  staged:
    description: Internal; set by the action plugin to the path of the uploaded binary on the host.
    type: path
"""

EXAMPLES = r"""
- name: Put release 1.4.2 on the host and switch to it
  gopherops.baremetal.release:
    app: hello
    base_dir: /opt/hello
    release_id: "1.4.2-{{ artifact.sha256[:8] }}"
    src: "{{ artifact.path }}"
    sha256: "{{ artifact.sha256 }}"
    binary_name: hello
    keep_releases: 5
  notify: Restart hello

- name: After the health check passed
  gopherops.baremetal.release:
    app: hello
    base_dir: /opt/hello
    state: healthy

- name: Back to the last known good release
  gopherops.baremetal.release:
    app: hello
    base_dir: /opt/hello
    state: rollback
"""

RETURN = r"""
release_id:
  description: The release the task was about (for C(rollback), the one switched to).
  returned: always
  type: str
active:
  description: The active release after the task.
  returned: always
  type: str
previous:
  description: The release active before the last switch.
  returned: always
  type: str
last_known_good:
  description: The last release that passed its health check.
  returned: always
  type: str
failed_releases:
  description: Releases recorded as failed.
  returned: always
  type: list
  elements: str
rolled_back_from:
  description: For C(rollback), the release that was active before.
  returned: when state is rollback
  type: str
version:
  description: For C(rollback), the version recorded for the release switched to (null when unknown).
  returned: when state is rollback
  type: str
uploaded:
  description: Whether the binary was sent to the host.
  returned: always
  type: bool
switched:
  description: Whether C(current) changed.
  returned: always
  type: bool
pruned:
  description: Releases removed.
  returned: always
  type: list
  elements: str
manifest:
  description: The manifest after the task.
  returned: always
  type: dict
needs_upload:
  description: Internal, for the action plugin; the binary is missing or differs on the host.
  returned: when the binary must be sent
  type: bool
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gopherops.baremetal.plugins.module_utils import release as rel
from ansible_collections.gopherops.baremetal.plugins.module_utils.fileutil import sha256_file
from ansible_collections.gopherops.baremetal.plugins.module_utils.release_files import (
    install_binary, load, manifest_differs, now, prune, save, switch_current)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            app=dict(type="str", required=True),
            base_dir=dict(type="path", required=True),
            state=dict(type="str", default="active",
                       choices=["present", "active", "healthy", "failed", "rollback", "query"]),
            release_id=dict(type="str"),
            src=dict(type="path"),
            sha256=dict(type="str"),
            binary_name=dict(type="str"),
            version=dict(type="str"),
            to=dict(type="str"),
            keep_releases=dict(type="int", default=5),
            staged=dict(type="path"),
        ),
        required_if=[
            ("state", "present", ("release_id", "sha256", "binary_name")),
            ("state", "active", ("release_id", "sha256", "binary_name")),
            ("state", "failed", ("release_id",)),
        ],
        supports_check_mode=True,
    )
    p = module.params
    base, state = p["base_dir"], p["state"]
    releases_dir = os.path.join(base, "releases")
    manifest_path = os.path.join(base, rel.MANIFEST_NAME)
    try:
        for value in (p["release_id"], p["to"]):
            if value is not None:
                rel.check_release_id(value)
        if p["binary_name"] is not None and ("/" in p["binary_name"] or p["binary_name"] in ("", ".", "..")):
            raise rel.ReleaseError("binary_name must be a plain file name, got %r" % p["binary_name"])
        pending = module.check_mode and p["sha256"] == ""   # check mode: the artifact is not built yet
        if p["sha256"] is not None and not pending and (len(p["sha256"]) != 64 or set(p["sha256"]) - set("0123456789abcdef")):
            raise rel.ReleaseError("sha256 must be 64 lowercase hex digits, got %r" % p["sha256"])
        if p["keep_releases"] < 1:
            raise rel.ReleaseError("keep_releases must be at least 1")
    except rel.ReleaseError as exc:
        module.fail_json(msg="release: %s" % exc)

    try:
        before, manifest, linked = load(base, p["app"], p["binary_name"])
    except rel.ReleaseError as exc:
        module.fail_json(msg="release: %s" % exc)
    result = dict(changed=False, uploaded=False, switched=False, pruned=[])
    stamp = now()

    try:
        if state in ("present", "active"):
            rid = p["release_id"]
            dest = os.path.join(releases_dir, rid, p["binary_name"])
            if sha256_file(dest) != p["sha256"]:
                if not p["staged"]:
                    if module.check_mode:
                        result.update(changed=True, uploaded=True)
                    else:
                        module.exit_json(changed=False, needs_upload=True, dest=dest, release_id=rid)
                else:
                    if not module.check_mode:
                        os.makedirs(os.path.join(releases_dir, rid), mode=0o755, exist_ok=True)
                        install_binary(p["staged"], dest, p["sha256"])
                    result.update(changed=True, uploaded=True)
            manifest = rel.record(manifest, rid, p["sha256"], stamp, p["version"])
            if state == "active":
                if linked != rid:
                    result.update(changed=True, switched=True)
                    if not module.check_mode:
                        switch_current(base, rid)
                manifest = rel.activate(manifest, rid, stamp)
                manifest, result["pruned"] = prune(base, manifest, p["keep_releases"], dry_run=module.check_mode)
            result["release_id"] = rid
        elif state == "healthy":
            rid = p["release_id"] or manifest["active"]
            if not rid:
                raise rel.ReleaseError("no active release to mark healthy")
            manifest = rel.mark_good(manifest, rid)
            result["release_id"] = rid
        elif state == "failed":
            manifest = rel.mark_failed(manifest, p["release_id"])
            result["release_id"] = p["release_id"]
        elif state == "rollback":
            target = rel.rollback_target(manifest, p["to"])
            if not os.path.isdir(os.path.join(releases_dir, target)):
                raise rel.ReleaseError("release %s is in the manifest but its directory %s is gone"
                                       % (target, os.path.join(releases_dir, target)))
            leaving = manifest["active"]
            if leaving != target:
                if leaving:
                    manifest = rel.mark_failed(manifest, leaving)
                manifest = rel.activate(manifest, target, stamp)
                result.update(changed=True, switched=True)
                if not module.check_mode:
                    switch_current(base, target)
            result.update(release_id=target, rolled_back_from=leaving,
                          version=manifest["releases"][target].get("version"))
        else:
            result["release_id"] = manifest["active"]
    except rel.ReleaseError as exc:
        module.fail_json(msg="release: %s" % exc, manifest=manifest)

    if manifest_differs(manifest, before) and state != "query":
        result["changed"] = True
        if not module.check_mode:
            manifest = save(base, manifest, stamp)
    result.update(active=manifest["active"], previous=manifest["previous"], last_known_good=manifest["last_known_good"],
                  failed_releases=manifest["failed"], manifest=manifest)
    if module._diff:
        result["diff"] = dict(before="active: %s\n" % (before["active"] or "(none)"),
                              after="active: %s\n" % (manifest["active"] or "(none)"),
                              before_header=manifest_path, after_header=manifest_path)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
