# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""deploy_lock: the decisions here on the controller, the file work on the host in one remote
command (plugin_utils/lock_host.py run by the host's python3, no module run). Names the owner
(user@controller), the controller and the ansible-playbook process, and takes over a lock whose
process on this controller is gone."""

from __future__ import annotations

import datetime
import getpass
import json
import os
import shlex
import socket

from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.gopherops.baremetal.plugins.module_utils import lock as lk
from ansible_collections.gopherops.baremetal.plugins.module_utils import release as rel
from ansible_collections.gopherops.baremetal.plugins.module_utils.release_files import BACKUP_DIR
from ansible_collections.gopherops.baremetal.plugins.plugin_utils import lock_host
from ansible_collections.gopherops.baremetal.plugins.plugin_utils.direct_module import host_python

ARGUMENT_SPEC = dict(
    app=dict(type="str", required=True),
    state=dict(type="str", default="locked", choices=["locked", "unlocked", "query"]),
    run_id=dict(type="str"),
    owner=dict(type="str"),
    ttl=dict(type="int", default=3600),
    break_lock=dict(type="bool", default=False),
    conflict=dict(type="str", default="fail", choices=["fail", "report"]),
    lock_dir=dict(type="path", default="/var/lib/gopherops/locks"),
    base_dir=dict(type="path"),
    unit=dict(type="str"),
    container=dict(type="str"),
    config_dir=dict(type="path"),
    binary_name=dict(type="str"),
    user=dict(type="str"),
    group=dict(type="str"),
    audit_log=dict(type="path"),
    audit=dict(type="dict"),
    out_of_lb=dict(type="bool"),
    backups_of=dict(type="path"),
    fail_msg=dict(type="str"),
    refuse=dict(type="str"),
    plan=dict(type="dict"),
)
REQUIRED_IF = [("state", "locked", ("run_id",)), ("state", "unlocked", ("run_id",))]

with open(lock_host.__file__, encoding="utf-8") as _fh:
    HOST_PROGRAM = _fh.read()


def process_gone(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, TypeError, ValueError, OverflowError):
        return False
    return False


def parse_lock(text):
    """The lock file's content as a dict; None when there is no file, {} when it cannot be read
    (judged expired, so it can be broken with break_lock)."""
    if text is None:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def app_state(app, observed):
    """The app_state result from what lock_host reported."""
    out = {"active": None, "previous": None, "last_known_good": None, "failed": [], "service_active": None}
    if observed is None:
        return out
    observed = dict(observed)
    text = observed.pop("manifest", None)
    try:
        manifest = rel.normalize(json.loads(text), app) if text else rel.empty_manifest(app)
    except (ValueError, TypeError, AttributeError, rel.ReleaseError):
        manifest = rel.empty_manifest(app)   # a damaged manifest is the deploy's to report, not the lock's
    out.update((key, manifest[key]) for key in ("active", "previous", "last_known_good", "failed"))
    out["active"] = observed.get("current") or out["active"]
    out["service_active"] = observed.get("active")
    if "container" in observed:
        out["service_active"] = bool((observed["container"] or {}).get("running"))
    observed["last_known_good"] = manifest["last_known_good"]
    out["observed"] = observed
    return out


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def _host(self, task_vars, **args):
        """Run lock_host on the host with args; returns its JSON result."""
        python = host_python(task_vars, self._task.delegate_to, self._templar.template)
        cmd = "%s -c %s %s" % (shlex.quote(python), shlex.quote(HOST_PROGRAM), shlex.quote(json.dumps(args)))
        res = self._low_level_execute_command(cmd, sudoable=True)
        out = to_text(res.get("stdout", ""), errors="surrogate_or_replace").strip()
        try:
            data = json.loads(out.splitlines()[-1]) if out else None
        except ValueError:
            data = None
        if not isinstance(data, dict):
            err = to_text(res.get("stderr", ""), errors="surrogate_or_replace").strip()
            return {"failed": True, "msg": "deploy_lock: the host's python3 did not answer (rc=%s): %s"
                                           % (res.get("rc"), (err or out)[-600:] or "no output")}
        return data

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        valid, p = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF)
        del valid
        if "/" in p["app"] or p["app"] in ("", ".", ".."):
            return dict(result, failed=True, msg="deploy_lock: app must be a plain name, got %r" % p["app"])
        if p["ttl"] < 1:
            return dict(result, failed=True, msg="deploy_lock: ttl must be at least 1 second")
        if p["refuse"] and p["state"] == "locked":
            return dict(result, failed=True, refused=True, acquired=False, msg=p["refuse"])
        controller = socket.gethostname()
        # workers are forked from ansible-playbook, so the parent is the process that owns the run
        pid = os.getppid()
        owner = p["owner"]
        if not owner:
            try:
                user = getpass.getuser()
            except (KeyError, OSError):
                user = "uid%d" % os.getuid()
            owner = "%s@%s" % (user, controller)
        path = os.path.join(p["lock_dir"], "%s.lock" % p["app"])
        state, check = p["state"], self._task.check_mode
        audit = p["audit"] if p["audit"] and p["audit_log"] and state != "query" else None

        base = dict(path=path, run_id=p["run_id"], app=p["app"], base_dir=p["base_dir"], unit=p["unit"],
                    container=p["container"],
                    config_dir=p["config_dir"], binary_name=p["binary_name"], user=p["user"], group=p["group"])
        now = datetime.datetime.now(datetime.timezone.utc)
        mine = json.dumps(dict(app=p["app"], run_id=p["run_id"], owner=owner or "unknown", controller=controller,
                               pid=pid, started=lk.format_time(now), ttl=p["ttl"]), sort_keys=True) + "\n"
        if check or state == "query":
            op = "query"
        else:
            op = "lock" if state == "locked" else "unlock"
        extra = {}
        if audit and not check:
            extra = dict(audit_log=p["audit_log"], audit_line=json.dumps(audit, sort_keys=True))
        if op == "unlock" and p["out_of_lb"] is not None:
            extra["out_of_lb"] = p["out_of_lb"]
        if op == "unlock" and p["backups_of"]:
            extra["backups_dir"] = os.path.join(p["backups_of"], BACKUP_DIR)
        host = self._host(task_vars, op=op, data=mine, **dict(base, **extra))
        if host.get("failed"):
            msg = host.get("msg")
            if p["fail_msg"]:
                msg = "%s\n(and then: %s)" % (p["fail_msg"], msg)
            return dict(result, failed=True, msg=msg)

        current = parse_lock(host.get("lock"))
        result.update(changed=False, acquired=False, released=bool(host.get("released")), owner=owner,
                      out_of_lb=parse_lock(host.get("out_of_lb")),
                      lock_path=path, app_state=app_state(p["app"], host.get("observed")),
                      ansible_facts=dict(ansible_architecture=host.get("architecture"),
                                         ansible_system=host.get("system")))
        if p["base_dir"]:
            result["base_dir"] = p["base_dir"]
        if p["plan"] is not None:
            result["plan"] = p["plan"]
        if op == "lock" and host.get("created"):
            result.update(changed=True, acquired=True, holder=lk.describe(parse_lock(mine)))
        else:
            verdict = lk.judge(current, p["run_id"], now)
            result["holder"] = lk.describe(current)
            result["acquired"] = verdict == lk.OURS and state == "locked"
            if state == "locked" and verdict in (lk.HELD, lk.EXPIRED):
                result["held_by"] = current
                if check:
                    result["acquired"] = self._may_take(p, verdict, current, controller, {})   # would take it
                elif self._may_take(p, verdict, current, controller, result):
                    again = self._host(task_vars, op="lock", data=mine, replace=host.get("lock"), **base)
                    if again.get("created"):
                        result.pop("held_by")
                        result.update(changed=True, acquired=True, broken=current)
                    else:
                        current = parse_lock(again.get("lock"))
                        result.update(held_by=current, holder=lk.describe(current))
            elif state == "locked" and verdict == lk.FREE and check:
                result["acquired"] = True   # would take it
            if state == "unlocked" and result["released"]:
                result["changed"] = True
        if audit:
            result["changed"] = True
        if state == "locked" and not result["acquired"] and p["conflict"] == "fail" and not check:
            hint = ("it is past its TTL: break it with -e rollout_lock_break=true"
                    if lk.judge(current, p["run_id"], now) == lk.EXPIRED else
                    "wait for that run to end; if it is gone, break the lock after it expires with "
                    "-e rollout_lock_break=true")
            result.update(failed=True, msg="deploy_lock: %s on this host is locked by %s; %s"
                                           % (p["app"], result["holder"], hint))
        if p["fail_msg"]:
            result.update(failed=True, msg=p["fail_msg"])
        return result

    def _may_take(self, p, verdict, current, controller, result):
        if verdict == lk.EXPIRED and p["break_lock"]:
            result.setdefault("warnings", []).append("deploy_lock: broke the expired lock of %s" % lk.describe(current))
            return True
        if current and current.get("controller") == controller and current.get("pid") and process_gone(current["pid"]):
            result.setdefault("warnings", []).append(
                "deploy_lock: took over the lock of %s, whose ansible-playbook process is gone" % lk.describe(current))
            return True
        return False
