#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: deploy_lock
short_description: Take or release a host's deploy lock for an app, write its audit line, and report the app's state
version_added: 0.1.0
description:
  - One rollout per app at a time. The lock is a small JSON file (C(<lock_dir>/<app>.lock)) that names
    its owner, the run id, the controller and its process id, when it was taken and for how long it is
    valid (O(ttl)).
  - O(state=locked) takes the lock, or keeps it when this run holds it already. When another run holds it
    the task fails with a message naming that run, unless O(conflict=report).
  - A lock past its TTL is broken only with O(break_lock=true). A lock taken from this same controller by an
    ansible-playbook process that no longer runs (interrupted with Ctrl-C, killed) is clearly stale and is
    taken over with a warning; the action plugin checks the process.
  - O(state=unlocked) removes the lock when this run holds it, and never someone else's.
  - With O(audit), appends that record as one JSON line to O(audit_log) (mode 0640), in the same round trip.
  - Also reports what the host runs (the app's manifest, whether the unit is active) and its architecture as
    the C(ansible_architecture) and C(ansible_system) facts, so a deploy plans and locks in one task.
author:
  - gopherops maintainers (@gopherops)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
    details: The action plugin fills in the owner, controller and process id, and takes over locks of dead runs.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Reports the lock and the app's state; takes, releases and writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  app:
    description: Name of the app the lock is for.
    type: str
    required: true
  state:
    description: C(locked), C(unlocked), or C(query) to only report.
    type: str
    choices: [locked, unlocked, query]
    default: locked
  run_id:
    description: Id of this run; the same on every host of the run. Required unless O(state=query).
    type: str
  owner:
    description: Who runs the deploy. The action plugin sets it to C(user@controller) when empty.
    type: str
  controller:
    description: Host name of the controller. The action plugin sets it.
    type: str
  pid:
    description: Process id of ansible-playbook on the controller. The action plugin sets it.
    type: int
  take_over:
    description: Internal, set by the action plugin; the run id of a lock whose process is gone.
    type: str
  ttl:
    description: Seconds the lock stays valid; after that another run may break it with O(break_lock).
    type: int
    default: 3600
  break_lock:
    description: Take the lock over when another run holds it past its TTL.
    type: bool
    default: false
  conflict:
    description: When another run holds the lock, C(fail) the task or C(report) it in RV(held_by) and go on.
    type: str
    choices: [fail, report]
    default: fail
  lock_dir:
    description: Directory of the lock files.
    type: path
    default: /var/lib/gopherops/locks
  base_dir:
    description: The app's base directory, whose manifest is reported in RV(app_state).
    type: path
  unit:
    description: systemd unit whose state is reported in RV(app_state).
    type: str
  config_dir:
    description:
      - Directory of the app's environment file (C(<config_dir>/<app>.env)), as in P(gopherops.baremetal.systemd_release#module).
      - With O(base_dir), RV(app_state.observed) reports it. Defaults to C(/etc/<app>).
    type: path
  binary_name:
    description: File name of the binary in each release directory. Defaults to O(app).
    type: str
  user:
    description: The service account whose id RV(app_state.observed) reports. Defaults to O(app).
    type: str
  group:
    description: The service group whose id RV(app_state.observed) reports. Defaults to O(user).
    type: str
  audit_log:
    description: File the O(audit) record is appended to.
    type: path
  audit:
    description: A record appended as one JSON line to O(audit_log).
    type: dict
"""

EXAMPLES = r"""
- name: Lock every host of the rollout (and learn what they run)
  gopherops.baremetal.deploy_lock:
    app: hello
    run_id: "{{ deploy_run_id }}"
    base_dir: /opt/hello
    unit: hello.service

- name: Release the lock and write the audit line
  gopherops.baremetal.deploy_lock:
    app: hello
    state: unlocked
    run_id: "{{ deploy_run_id }}"
    audit_log: /var/log/hello/deploy.log
    audit:
      run_id: "{{ deploy_run_id }}"
      result: deployed
"""

RETURN = r"""
acquired:
  description: Whether this task took the lock (or this run held it already).
  returned: always
  type: bool
released:
  description: Whether this task removed the lock.
  returned: always
  type: bool
held_by:
  description: The lock of another run, when there is one.
  returned: when another run holds the lock
  type: dict
owner:
  description: The owner this run recorded (C(user@controller) unless O(owner) was given).
  returned: always
  type: str
holder:
  description: One line naming the holder of the lock found.
  returned: always
  type: str
broken:
  description: The lock that was broken or taken over.
  returned: when a lock was broken
  type: dict
app_state:
  description: active, previous and last_known_good releases, failed releases, and whether the unit is active.
  returned: always
  type: dict
  contains:
    observed:
      description:
        - With O(base_dir), what a deploy would compare against, so the controller can tell which hosts need a change
          without asking again (the P(gopherops.baremetal.release_changes#filter) filter).
        - C(current) (the release the C(current) link points at), C(last_known_good), C(binaries) (release id to
          sha256), C(env) and C(unit) (sha256, mode, uid, gid of the environment file and the unit file, or null),
          C(uid) and C(gid) of the service account, C(active) and C(enabled) of the unit.
      returned: when O(base_dir) is set
      type: dict
"""

import datetime
import json
import os
import platform

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gopherops.baremetal.plugins.module_utils import lock as lk
from ansible_collections.gopherops.baremetal.plugins.module_utils import release as rel
from ansible_collections.gopherops.baremetal.plugins.module_utils.fileutil import atomic_write
from ansible_collections.gopherops.baremetal.plugins.module_utils.release_files import current_target, observe, read_manifest


def read_lock(path):
    try:
        with open(path) as fh:
            data = json.load(fh)
        return data if isinstance(data, dict) else {}
    except FileNotFoundError:
        return None
    except ValueError:
        return {}   # unreadable: judged expired, so it can be broken with break_lock


def create_exclusive(path, data):
    """Create path with data, failing when it exists (a link of a complete temp file, so readers never
    see a half-written lock)."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as fh:
        fh.write(data)
    try:
        os.link(tmp, path)
        return True
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp)


def app_state(module, app, base_dir, unit):
    p = module.params
    out = {"active": None, "previous": None, "last_known_good": None, "failed": [], "service_active": None}
    if base_dir:
        try:
            manifest = read_manifest(os.path.join(base_dir, rel.MANIFEST_NAME), app)
        except rel.ReleaseError:
            manifest = rel.empty_manifest(app)   # a damaged manifest is the deploy's to report, not the lock's
        out.update((key, manifest[key]) for key in ("active", "previous", "last_known_good", "failed"))
        out["active"] = current_target(base_dir) or out["active"]
        out["observed"] = observe(base_dir, app, p["binary_name"], p["config_dir"], None, p["user"], p["group"])
    if unit:
        out["service_active"] = module.run_command(["systemctl", "is-active", "--quiet", unit])[0] == 0
        if base_dir:
            out["observed"].update(active=out["service_active"],
                                   enabled=module.run_command(["systemctl", "is-enabled", "--quiet", unit])[0] == 0)
    return out


def append_audit(path, record):
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o750)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    with os.fdopen(fd, "a") as fh:
        fh.write(json.dumps(record, sort_keys=True) + "\n")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            app=dict(type="str", required=True),
            state=dict(type="str", default="locked", choices=["locked", "unlocked", "query"]),
            run_id=dict(type="str"),
            owner=dict(type="str"),
            controller=dict(type="str"),
            pid=dict(type="int"),
            ttl=dict(type="int", default=3600),
            break_lock=dict(type="bool", default=False),
            take_over=dict(type="str"),
            conflict=dict(type="str", default="fail", choices=["fail", "report"]),
            lock_dir=dict(type="path", default="/var/lib/gopherops/locks"),
            base_dir=dict(type="path"),
            unit=dict(type="str"),
            config_dir=dict(type="path"),
            binary_name=dict(type="str"),
            user=dict(type="str"),
            group=dict(type="str"),
            audit_log=dict(type="path"),
            audit=dict(type="dict"),
        ),
        required_if=[("state", "locked", ("run_id",)), ("state", "unlocked", ("run_id",))],
        supports_check_mode=True,
    )
    p = module.params
    if "/" in p["app"] or p["app"] in ("", ".", ".."):
        module.fail_json(msg="deploy_lock: app must be a plain name, got %r" % p["app"])
    if p["ttl"] < 1:
        module.fail_json(msg="deploy_lock: ttl must be at least 1 second")
    path = os.path.join(p["lock_dir"], "%s.lock" % p["app"])
    now = datetime.datetime.now(datetime.timezone.utc)
    current = read_lock(path)
    verdict = lk.judge(current, p["run_id"], now)
    result = dict(changed=False, acquired=verdict == lk.OURS, released=False, holder=lk.describe(current), owner=p["owner"],
                  lock_path=path, app_state=app_state(module, p["app"], p["base_dir"], p["unit"]),
                  ansible_facts=dict(ansible_architecture=platform.machine(), ansible_system=platform.system()))
    if verdict in (lk.HELD, lk.EXPIRED):
        result["held_by"] = current

    if p["state"] == "locked" and verdict != lk.OURS:
        mine = dict(app=p["app"], run_id=p["run_id"], owner=p["owner"] or "unknown", controller=p["controller"] or "",
                    pid=p["pid"], started=lk.format_time(now), ttl=p["ttl"])
        take = verdict == lk.FREE
        if verdict == lk.EXPIRED and p["break_lock"]:
            take = True
            module.warn("deploy_lock: broke the expired lock of %s" % lk.describe(current))
        elif current is not None and p["take_over"] and current.get("run_id") == p["take_over"]:
            take = True
            module.warn("deploy_lock: took over the lock of %s, whose ansible-playbook process is gone"
                        % lk.describe(current))
        if take:
            if not module.check_mode:
                os.makedirs(p["lock_dir"], 0o755, exist_ok=True)
                data = json.dumps(mine, sort_keys=True) + "\n"
                if current is None:
                    if not create_exclusive(path, data):
                        module.fail_json(msg="deploy_lock: %s was taken by another run a moment ago: %s"
                                             % (p["app"], lk.describe(read_lock(path))), **result)
                else:
                    atomic_write(path, data.encode(), 0o644)
                    result["broken"] = current
            result.update(changed=True, acquired=True)
            result.pop("held_by", None)
        elif p["conflict"] == "fail":
            hint = ("it is past its TTL: break it with -e deploy_lock_break=true" if verdict == lk.EXPIRED else
                    "wait for that run to end; if it is gone, break the lock after it expires with "
                    "-e deploy_lock_break=true")
            module.fail_json(msg="deploy_lock: %s on this host is locked by %s; %s"
                                 % (p["app"], lk.describe(current), hint), **result)
    elif p["state"] == "unlocked" and verdict == lk.OURS:
        if not module.check_mode:
            os.unlink(path)
        result.update(changed=True, released=True, acquired=False)

    if p["audit"] and p["audit_log"] and p["state"] != "query":
        result["changed"] = True
        if not module.check_mode:
            append_audit(p["audit_log"], p["audit"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
