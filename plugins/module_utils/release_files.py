# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""File work on a host for the release layout (releases/<id>/, current, releases.json), shared by
the release and systemd_release modules. Decisions stay in module_utils/release.py."""

from __future__ import annotations

import datetime
import json
import os
import shutil

from ansible_collections.gopherops.baremetal.plugins.module_utils import release as rel
from ansible_collections.gopherops.baremetal.plugins.module_utils.fileutil import atomic_write, sha256_file

# under base_dir: the environment file and unit a deploy replaced, root only, until its gate decides
# (or, with systemd_release's keep_backups, until the rollout's unlock removes them)
BACKUP_DIR = ".previous"


def service_paths(name, config_dir=None, unit_path=None):
    """(environment file, unit file) of service name, as systemd_release writes them."""
    config_dir = config_dir or "/etc/%s" % name
    return os.path.join(config_dir, "%s.env" % name), unit_path or "/etc/systemd/system/%s.service" % name


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def write_json(path, data):
    atomic_write(path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8"), 0o644)


def read_manifest(path, app):
    try:
        with open(path) as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return rel.empty_manifest(app)
    except ValueError as exc:
        raise rel.ReleaseError("the manifest %s is not valid JSON (%s); fix or remove it (the release directories "
                               "stay) and run again" % (path, exc))
    return rel.normalize(data, app)


def current_target(base_dir):
    link = os.path.join(base_dir, "current")
    if os.path.islink(link):
        return os.path.basename(os.readlink(link).rstrip("/"))
    return None


def switch_current(base_dir, release_id):
    link = os.path.join(base_dir, "current")
    tmp = "%s.tmp-%d" % (link, os.getpid())
    if os.path.lexists(tmp):
        os.unlink(tmp)
    os.symlink(os.path.join("releases", release_id), tmp)
    os.rename(tmp, link)


def install_binary(staged, dest, sha256):
    """Copy the staged upload next to its final name, check its sha256 there, then rename."""
    tmp = "%s.partial-%d" % (dest, os.getpid())
    try:
        shutil.copyfile(staged, tmp)
        got = sha256_file(tmp)
        if got != sha256:
            raise rel.ReleaseError("the binary sent to the host has sha256 %s, expected %s; the transfer was damaged "
                                   "or the artifact changed during the run. Nothing was switched." % (got, sha256))
        os.chmod(tmp, 0o755)
        os.rename(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load(base, app, binary_name=None):
    """The manifest of base, with release directories it does not know adopted and the active
    release taken from the current link (the link is the truth of what runs). Returns
    (manifest as read, manifest to work on, release the link points at)."""
    before = read_manifest(os.path.join(base, rel.MANIFEST_NAME), app)
    releases_dir = os.path.join(base, "releases")
    found = {}
    if os.path.isdir(releases_dir):
        for rid in os.listdir(releases_dir):
            if os.path.isdir(os.path.join(releases_dir, rid)) and rid not in before["releases"]:
                found[rid] = sha256_file(os.path.join(releases_dir, rid, binary_name)) if binary_name else None
    manifest = rel.adopt(before, found)
    linked = current_target(base)
    if linked and linked != manifest["active"] and linked in manifest["releases"]:
        manifest = dict(manifest, previous=manifest["active"], active=linked)
    return before, manifest, linked


def manifest_differs(a, b):
    return {k: v for k, v in a.items() if k != "updated"} != {k: v for k, v in b.items() if k != "updated"}


def save(base, manifest, stamp):
    manifest = dict(manifest, updated=stamp)
    if not os.path.isdir(base):
        os.makedirs(base, mode=0o755)
    write_json(os.path.join(base, rel.MANIFEST_NAME), manifest)
    return manifest


def prune(base, manifest, keep, dry_run=False):
    """Drop the releases beyond keep from the manifest and, unless dry_run, their directories;
    returns (manifest without them, ids removed)."""
    gone = rel.prune_candidates(manifest, keep)
    if not dry_run:
        for old in gone:
            shutil.rmtree(os.path.join(base, "releases", old), ignore_errors=True)
    return rel.forget(manifest, gone), gone
