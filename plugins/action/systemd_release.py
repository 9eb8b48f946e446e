# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller half of systemd_release: send the binary when the host lacks it, and with
probe=controller run the health checks here between the module's steps."""

from __future__ import annotations

import posixpath
import shlex
import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.gopherops.baremetal.plugins.plugin_utils.binary import resolve_src, send

MODULE = "gopherops.baremetal.systemd_release"
CARRY = ("uploaded", "switched", "restarted", "env_changed", "unit_changed", "env_restored", "previous_release",
         "changed", "stale_process")


class ActionModule(ActionBase):

    TRANSFERS_FILES = False  # a temporary directory is made only when the binary must be sent
    _requires_connection = True

    def _probe(self, args, checks):
        # imported here, for probe=controller only: health imports ansible.module_utils.urls, which costs
        # each worker (one per host and task) about 30 ms of CPU, and most deploys probe from the host
        from ansible_collections.gopherops.baremetal.plugins.module_utils.health import gate  # pylint: disable=import-outside-toplevel

        return gate(checks, float(args.get("health_timeout", 30)), float(args.get("health_interval", 0.5)),
                    int(args.get("health_successes", 2)), delay=float(args.get("health_delay", 0)))

    def _host_sha256(self, args):
        """sha256 of the release's binary on the host, or None (missing, unreadable, no sha256sum)."""
        dest = posixpath.join(args.get("base_dir") or "", "releases", str(args.get("release_id") or ""),
                              args.get("binary_name") or args.get("name") or "")
        res = self._low_level_execute_command("sha256sum %s 2>/dev/null || true" % shlex.quote(dest), sudoable=True)
        words = to_text(res.get("stdout", ""), errors="surrogate_or_replace").split()
        return words[0] if words else None

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        for internal in ("staged", "gate_results", "phase"):
            args.pop(internal, None)
        state = args.get("state", "deployed")
        made_tmp = None
        started = time.monotonic()
        try:
            upload_time = None
            if state == "deployed":
                args["src"] = resolve_src(self, args, "systemd_release")
                # a plain sha256sum first: when the host lacks the binary it is sent before the one module run
                if not self._task.check_mode and args.get("sha256") and self._host_sha256(args) != args["sha256"]:
                    t0 = time.monotonic()
                    made_tmp, args["staged"] = send(self, args["src"])
                    upload_time = round(time.monotonic() - t0, 3)
            res = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
            if res.get("needs_upload") and not made_tmp:
                t0 = time.monotonic()
                made_tmp, args["staged"] = send(self, args["src"])
                upload_time = round(time.monotonic() - t0, 3)
                res = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
            if upload_time is not None:
                res["uploaded"] = True
            if res.get("needs_gate") and args.get("probe") == "controller":
                res = self._controller_gate(args, res, state, task_vars)
            res.pop("needs_upload", None)
            res.pop("needs_gate", None)
            res.pop("rollback_checks", None)
            if upload_time is not None:
                res.setdefault("timings", {})["upload"] = upload_time
            res.setdefault("timings", {})["total"] = round(time.monotonic() - started, 3)
            result.update(res)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=to_text(exc))
        finally:
            if made_tmp:
                self._remove_tmp_path(made_tmp)
        return result

    def _controller_gate(self, args, res, state, task_vars):
        carry = {k: res[k] for k in CARRY if k in res}
        results = {}
        try:
            if state == "deployed":
                results["health"] = self._probe(args, args.get("checks") or [])
                follow = dict(args, phase="finish", gate_results=dict(results, carry=carry))
                res = self._execute_module(module_name=MODULE, module_args=follow, task_vars=task_vars)
                if not res.get("needs_gate"):
                    return res
                carry.update({k: res[k] for k in CARRY if k in res})
            results["rollback_health"] = self._probe(args, res.get("rollback_checks") or [])
        except ValueError as exc:
            raise AnsibleActionFail("systemd_release: checks: %s" % exc)
        phase = "finish" if state == "deployed" else "rollback_finish"
        follow = dict(args, phase=phase, gate_results=dict(results, carry=carry))
        return self._execute_module(module_name=MODULE, module_args=follow, task_vars=task_vars)
