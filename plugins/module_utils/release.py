# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The release manifest: which releases a host has, which one is active, which was last known good,
which failed. Rollback and pruning decide from it, never from file times. Pure functions on a dict,
so the decisions are unit-tested; the release module does the file work."""

from __future__ import annotations

import copy
import re

MANIFEST_NAME = "releases.json"
RELEASE_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$")


class ReleaseError(ValueError):
    """A request the manifest cannot satisfy; the message says why and what to do."""


def empty_manifest(app):
    return {"app": app, "active": None, "previous": None, "last_known_good": None, "failed": [],
            "releases": {}, "updated": None}


def check_release_id(release_id):
    if not isinstance(release_id, str) or not RELEASE_ID_RE.match(release_id):
        raise ReleaseError("release id %r is not usable as a directory name: letters, digits, '.', '_', '+', '-', "
                           "starting with a letter or digit, at most 128 characters" % (release_id,))
    return release_id


def normalize(manifest, app):
    """Fill in what an older or hand-edited manifest lacks, without losing what it has."""
    out = empty_manifest(app)
    if isinstance(manifest, dict):
        for key in out:
            if key in manifest:
                out[key] = manifest[key]
    if not isinstance(out["releases"], dict):
        out["releases"] = {}
    if not isinstance(out["failed"], list):
        out["failed"] = []
    return out


def record(manifest, release_id, sha256, now, version=None):
    """Note a release that is present on the host; returns a new manifest."""
    out = copy.deepcopy(manifest)
    entry = out["releases"].get(release_id)
    if entry is None:
        out["releases"][release_id] = {"sha256": sha256, "created": now, "activated": None, "status": "new",
                                       "version": version}
    elif entry.get("sha256") != sha256:
        entry.update(sha256=sha256, created=now, status="new", version=version)
    elif version and entry.get("version") != version:
        entry["version"] = version
    return out


def activate(manifest, release_id, now):
    """Make release_id the active one; the one it replaces becomes 'previous'."""
    out = copy.deepcopy(manifest)
    if release_id not in out["releases"]:
        raise ReleaseError("release %s is not on this host" % release_id)
    if out["active"] != release_id:
        out["previous"] = out["active"]
        out["active"] = release_id
        out["releases"][release_id]["activated"] = now
    return out


def mark_good(manifest, release_id):
    out = copy.deepcopy(manifest)
    if release_id not in out["releases"]:
        raise ReleaseError("release %s is not on this host, so it cannot be marked good" % release_id)
    out["last_known_good"] = release_id
    out["releases"][release_id]["status"] = "good"
    out["failed"] = [r for r in out["failed"] if r != release_id]
    return out


def mark_failed(manifest, release_id):
    out = copy.deepcopy(manifest)
    if release_id in out["releases"]:
        out["releases"][release_id]["status"] = "failed"
    if release_id not in out["failed"]:
        out["failed"].append(release_id)
    if out["last_known_good"] == release_id:
        out["last_known_good"] = None
    return out


def rollback_target(manifest, to=None):
    """The release to go back to: the one named, else the last known good unless it is the active one,
    else the most recently activated good release other than the active one."""
    releases = manifest["releases"]
    if to:
        if to not in releases:
            raise ReleaseError("release %s is not on this host; it has: %s"
                               % (to, ", ".join(sorted(releases)) or "none"))
        return to
    lkg = manifest.get("last_known_good")
    if lkg and lkg != manifest.get("active") and lkg in releases:
        return lkg
    good = [(r.get("activated") or r.get("created") or "", rid) for rid, r in releases.items()
            if r.get("status") == "good" and rid != manifest.get("active")]
    if not good:
        raise ReleaseError("no release to roll back to: no other release on this host ever passed its health check "
                           "(active: %s); name one with 'to'" % manifest.get("active"))
    return max(good)[1]


def prune_candidates(manifest, keep):
    """Releases to delete so that at most `keep` remain: failed ones first, then the oldest by the
    manifest's creation times. Never the active release, the last known good, the release a rollback
    would go to, or a previous release that did not fail."""
    if keep < 1:
        raise ReleaseError("keep_releases must be at least 1")
    protected = {manifest.get("active"), manifest.get("last_known_good")}
    previous = manifest.get("previous")
    if previous and previous not in manifest.get("failed", []):
        protected.add(previous)
    try:
        protected.add(rollback_target(manifest))
    except ReleaseError:
        pass
    protected.discard(None)
    failed = set(manifest.get("failed", []))
    ordered = sorted(manifest["releases"].items(),
                     key=lambda item: (item[0] not in failed, item[1].get("created") or "", item[0]))
    excess = len(ordered) - max(keep, len(protected))
    out = []
    for rid, _entry in ordered:
        if excess <= 0:
            break
        if rid in protected:
            continue
        out.append(rid)
        excess -= 1
    return out


def adopt(manifest, found):
    """Add release directories found on disk that the manifest does not know (a lost or older
    manifest), as status 'unknown': they can be named in a rollback and are pruned like the others,
    oldest first, but a rollback never picks them by itself. found maps release id -> sha256 or None."""
    out = copy.deepcopy(manifest)
    for rid, sha in sorted(found.items()):
        if rid not in out["releases"] and RELEASE_ID_RE.match(rid):
            out["releases"][rid] = {"sha256": sha, "created": "", "activated": None, "status": "unknown",
                                    "version": None}
    return out


def forget(manifest, release_ids):
    out = copy.deepcopy(manifest)
    for rid in release_ids:
        out["releases"].pop(rid, None)
    out["failed"] = [r for r in out["failed"] if r in out["releases"]]
    return out


def changes(observed, release_id, sha256, env_sha256, unit_sha256):
    """What deploying release_id (binary sha256, environment file and unit with these content hashes)
    would change on a host that reported observed (release_files.observe plus 'active', 'enabled' and 'running'),
    in systemd_release's words: uploaded, switched, env_changed, unit_changed, restarted; account
    (user or group missing), enabled (unit not enabled), unproven (running but never passed its gate).
    An empty list: the host runs exactly this release."""
    observed = observed or {}
    out = []
    if (observed.get("binaries") or {}).get(release_id) != sha256:
        out.append("uploaded")
    if observed.get("current") != release_id:
        out.append("switched")
    gid = observed.get("gid")
    env, unit = observed.get("env") or {}, observed.get("unit") or {}
    if env.get("sha256") != env_sha256 or (env.get("mode"), env.get("uid"), env.get("gid")) != ("0640", 0, gid):
        out.append("env_changed")
    if unit.get("sha256") != unit_sha256 or (unit.get("mode"), unit.get("uid"), unit.get("gid")) != ("0644", 0, 0):
        out.append("unit_changed")
    # running: the release the process was started from (an interrupted run can switch without restarting)
    if out or not observed.get("active") or observed.get("running") not in (None, release_id):
        out.append("restarted")
    if observed.get("uid") is None or gid is None:
        out.append("account")
    if not observed.get("enabled"):
        out.append("enabled")
    if observed.get("current") == release_id and observed.get("last_known_good") != release_id:
        out.append("unproven")
    return out
