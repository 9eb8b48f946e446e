# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Host half of deploy_lock: a plain python3 program (standard library only) that the deploy_lock
action runs on the host over the play's connection, so a lock costs one remote command instead of
a module run (a module run costs about 0.2 s of CPU on the host before it does anything; with many
hosts sharing a controller this is most of a no-op rollout).

It does the file work and reports raw facts: it creates the lock file exclusively, replaces or
removes it when told which content it must still hold, appends the audit line, and reports what the
host runs. Whose lock it is, whether it expired and whether it may be taken over is decided on the
controller (module_utils/lock.py). Called as: python3 -c <this file> '<json arguments>'; prints one
JSON object."""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys

MANIFEST = "releases.json"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_text(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except FileNotFoundError:
        return None


def file_facts(path):
    """sha256, mode, uid and gid of path, or None when it is missing."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return {"sha256": sha256_file(path), "mode": "%04o" % (st.st_mode & 0o7777), "uid": st.st_uid, "gid": st.st_gid}


def current_target(base):
    link = os.path.join(base, "current")
    if os.path.islink(link):
        return os.path.basename(os.readlink(link).rstrip("/"))
    return None


def release_of_pid(pid, base):
    """The release directory under base whose binary process pid runs (/proc/<pid>/exe names the
    path the current link pointed to when it started), or None."""
    try:
        exe = os.readlink("/proc/%s/exe" % pid)
    except OSError:
        return None
    releases = os.path.realpath(os.path.join(base, "releases")) + os.sep
    if not exe.startswith(releases):
        return None
    return exe[len(releases):].split(os.sep, 1)[0]


# the states for which systemctl is-active and is-enabled answer yes
ACTIVE = ("active", "reloading", "refreshing")
ENABLED = ("enabled", "enabled-runtime", "static", "alias", "indirect", "generated", "transient")


def unit_state(text):
    """(active, enabled, main pid or None) from the output of systemctl show with ActiveState,
    UnitFileState and MainPID."""
    props = dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
    pid = props.get("MainPID", "").strip()
    return (props.get("ActiveState", "").strip() in ACTIVE, props.get("UnitFileState", "").strip() in ENABLED,
            pid if pid.isdigit() and pid != "0" else None)


def show_unit(unit):
    """unit_state of unit, read with one systemctl run (three with is-active and is-enabled)."""
    try:
        text = subprocess.run(["systemctl", "show", "--property=ActiveState,UnitFileState,MainPID", unit],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30,
                              check=False).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        text = ""
    return unit_state(text)


def observe(a):
    """What the host runs: the manifest as written, the release the current link points at, the
    binaries of the releases (the current one hashed, the others as the manifest recorded them), the
    environment file and the unit (hash, mode, owner), the service account's ids, the unit's state."""
    base, app = a["base_dir"], a["app"]
    manifest_text = read_text(os.path.join(base, MANIFEST))
    try:
        manifest = json.loads(manifest_text) if manifest_text else {}
    except ValueError:
        manifest = {}
    releases = manifest.get("releases") if isinstance(manifest, dict) else None
    releases = releases if isinstance(releases, dict) else {}
    binary = a.get("binary_name") or app
    current = current_target(base)
    binaries = {}
    for rid in set(releases) | ({current} if current else set()):
        path = os.path.join(base, "releases", rid, binary)
        if rid == current:
            binaries[rid] = sha256_file(path) if os.path.isfile(path) else None
        elif os.path.isfile(path):
            entry = releases.get(rid)
            binaries[rid] = entry.get("sha256") if isinstance(entry, dict) else None
    config_dir = a.get("config_dir") or "/etc/%s" % app
    user = a.get("user") or app
    group = a.get("group") or user
    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        uid = None
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        gid = None
    out = {"manifest": manifest_text, "current": current, "binaries": binaries,
           "env": file_facts(os.path.join(config_dir, "%s.env" % app)),
           "unit": file_facts(a.get("unit_path") or "/etc/systemd/system/%s" % a["unit"]) if a.get("unit") else None,
           "uid": uid, "gid": gid}
    if a.get("unit"):
        out["active"], out["enabled"], pid = show_unit(a["unit"])
        out["running"] = release_of_pid(pid, base) if out["active"] and pid else None
    if a.get("container"):
        out["container"] = container_facts(a["container"])
    return out


def container_facts(name):
    """Docker mode: whether the container runs, and the release and spec its labels name; None when
    there is no such container or no Docker engine answers."""
    try:
        proc = subprocess.run(["docker", "container", "inspect", "--format",
                               "{{json .Config.Labels}}|{{.State.Running}}", name],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    labels, _sep, running = proc.stdout.decode("utf-8", "replace").strip().rpartition("|")
    try:
        labels = json.loads(labels) or {}
    except ValueError:
        labels = {}
    return {"running": running == "true", "release": labels.get("org.gopherops.release"),
            "spec": labels.get("org.gopherops.spec")}


def write_new(path, data):
    """A complete temporary file next to path; returns its name."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    with os.fdopen(fd, "w") as fh:
        fh.write(data)
    return tmp


def lock(a, out):
    """Create the lock file when there is none (a hard link of a complete file, so that readers never
    see half a lock and two runs never both win); with 'replace', overwrite it only when it still holds
    exactly that content (a lock the controller decided to break or take over)."""
    path = a["path"]
    os.makedirs(os.path.dirname(path), 0o755, exist_ok=True)
    tmp = write_new(path, a["data"])
    try:
        if a.get("replace") is None:
            try:
                os.link(tmp, path)
                out["created"] = True
            except FileExistsError:
                out["created"] = False
        elif read_text(path) == a["replace"]:
            os.rename(tmp, path)
            out["created"] = True
        else:
            out["created"] = False
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    out["lock"] = read_text(path)


def unlock(a, out):
    """Remove the lock file when this run holds it; never someone else's."""
    text = read_text(a["path"])
    out["lock"] = text
    out["released"] = False
    try:
        held = json.loads(text) if text else None
    except ValueError:
        held = None
    if isinstance(held, dict) and held.get("run_id") == a["run_id"]:
        os.unlink(a["path"])
        out["released"] = True


def mark_out_of_lb(a, out):
    """The marker beside the lock that says a run left this host out of the load balancer: written
    when out_of_lb is true, removed when it is false, reported in any case."""
    marker = a["path"] + ".out-of-lb"
    # a run that no longer holds the lock (another took it over) leaves the marker to that run
    ours = a["op"] != "unlock" or out.get("released")
    if ours and a.get("out_of_lb") is True:
        tmp = write_new(marker, json.dumps({"run_id": a.get("run_id")}) + "\n")
        os.rename(tmp, marker)
    elif ours and a.get("out_of_lb") is False and os.path.exists(marker):
        os.unlink(marker)
    out["out_of_lb"] = read_text(marker)


def append_audit(path, line):
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o750)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a") as fh:
        fh.write(line + "\n")


def main(a):
    uname = os.uname()
    out = {"architecture": uname.machine, "system": uname.sysname}
    try:
        if a["op"] == "lock":
            lock(a, out)
        elif a["op"] == "unlock":
            unlock(a, out)
            if out["released"] and a.get("backups_dir"):
                # the env file and unit a deploy of this run kept for a switch back; no longer needed
                shutil.rmtree(a["backups_dir"], ignore_errors=True)
        else:
            out["lock"] = read_text(a["path"])
        mark_out_of_lb(a, out)
        if a.get("audit_line") and a.get("audit_log"):
            append_audit(a["audit_log"], a["audit_line"])
            out["audited"] = True
        if a.get("base_dir"):
            out["observed"] = observe(a)
    except (OSError, ValueError, KeyError) as exc:
        out.update(failed=True, msg="%s: %s" % (type(exc).__name__, exc))
    sys.stdout.write(json.dumps(out))
    return 1 if out.get("failed") else 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
