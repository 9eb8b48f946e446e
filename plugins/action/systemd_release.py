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
from ansible_collections.gopherops.baremetal.plugins.module_utils.health import plain_http
from ansible_collections.gopherops.baremetal.plugins.module_utils.systemd_release_spec import ARGUMENT_SPEC, REQUIRED_IF
from ansible_collections.gopherops.baremetal.plugins.plugin_utils import direct_module
from ansible_collections.gopherops.baremetal.plugins.plugin_utils.binary import resolve_src, send

MODULE = "gopherops.baremetal.systemd_release"
CARRY = ("uploaded", "switched", "restarted", "env_changed", "unit_changed", "env_restored", "previous_release",
         "changed", "stale_process")
PRESENT = "gopherops-binary-present"


class ActionModule(ActionBase):

    TRANSFERS_FILES = False  # a temporary directory is made only when the binary must be sent
    _requires_connection = True

    def _probe(self, args, checks):
        # imported here, for probe=controller only: health imports ansible.module_utils.urls, which costs
        # each worker (one per host and task) about 30 ms of CPU, and most deploys probe from the host
        from ansible_collections.gopherops.baremetal.plugins.module_utils.health import gate  # pylint: disable=import-outside-toplevel

        return gate(checks, float(args.get("health_timeout", 30)), float(args.get("health_interval", 0.5)),
                    int(args.get("health_successes", 2)), delay=float(args.get("health_delay", 0)))

    def _direct(self, args, task_vars):
        """The host's python for a direct run (plugin_utils/direct_module.py), or None: a direct run
        needs a connection that pipelines, and checks the host probes without Ansible's HTTP client.
        Elsewhere (paramiko, https:// checks, pipelining off) the module runs through AnsiballZ."""
        if (args.get("probe") == "controller" or plain_http(args.get("checks") or [])) and direct_module.usable(self):
            return direct_module.host_python(task_vars, self._task.delegate_to, self._templar.template)
        return None

    def _module(self, args, task_vars, python=None, payload=None):
        """One run of the module on the host: direct with python, through AnsiballZ without."""
        if python:
            return direct_module.run(self, "systemd_release", args, ARGUMENT_SPEC, python, payload=payload,
                                     required_if=REQUIRED_IF)
        return self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)

    def _stage(self, args):
        """One round trip before the module: when the host lacks the release's binary (its sha256
        differs), make the temporary directory the upload goes to. Returns that directory, or None
        when the host has the binary. Run as the login user, who writes the upload; a binary it
        cannot read is sent again (the module checks it and keeps the one in place).
        Ansible's own steps would take four: the sha256, the home directory, the directory and its removal
        (the module removes the upload once it has installed it)."""
        dest = posixpath.join(args.get("base_dir") or "", "releases", str(args.get("release_id") or ""),
                              args.get("binary_name") or args.get("name") or "")
        shell = self._connection._shell
        basefile = shell._generate_temp_dir_name()
        mkdir = shell._mkdtemp2(basefile=basefile, system=self._is_become_unprivileged(),
                                tmpdir=self.get_shell_option("remote_tmp", default="~/.ansible/tmp"))
        if mkdir.input_data:   # a shell that needs its input for this: Ansible's own steps
            return self._make_tmp_path() if self._host_sha256(dest) != args["sha256"] else None
        cmd = 'if [ "$(sha256sum %s 2>/dev/null | cut -d" " -f1)" = %s ]; then echo %s; else %s; fi' % (
            shlex.quote(dest), shlex.quote(args["sha256"]), PRESENT, mkdir.command)
        res = self._low_level_execute_command(cmd, sudoable=False)
        out = to_text(res.get("stdout", ""), errors="surrogate_or_replace")
        if res.get("rc") == 0 and out.strip() == PRESENT:
            return None
        made = out.strip().split("%s=" % basefile, 1)
        made = shell.join_path(made[-1], "").splitlines()[-1] if res.get("rc") == 0 and len(made) == 2 else ""
        if not made or made == "/":
            raise AnsibleActionFail("systemd_release: could not make a temporary directory on the host for the upload "
                                    "(rc=%s): %s" % (res.get("rc"), to_text(res.get("stderr", "")).strip()[-400:]))
        return made

    def _host_sha256(self, dest):
        """sha256 of dest on the host, or None (missing, unreadable, no sha256sum)."""
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
        removed = False   # the module removed the upload
        started = time.monotonic()
        try:
            upload_time = None
            payload = None
            python = self._direct(args, task_vars)
            if state == "deployed":
                args["src"] = resolve_src(self, args, "systemd_release")
                # when the host lacks the binary it is sent before the one module run; when the caller
                # knows it lacks it and the module runs directly, with the module's run (one round trip)
                if not self._task.check_mode and args.get("sha256"):
                    t0 = time.monotonic()
                    if python and args.get("host_lacks_binary"):
                        payload = ("staged", args["src"])
                    else:
                        made_tmp = self._stage(args)
                    if made_tmp:
                        args["staged"] = send(self, args["src"], made_tmp)[1]
                        upload_time = round(time.monotonic() - t0, 3)
            res = self._module(args, task_vars, python, payload)
            if res.get("needs_upload") and not made_tmp:
                t0 = time.monotonic()
                made_tmp, args["staged"] = send(self, args["src"])
                upload_time = round(time.monotonic() - t0, 3)
                res = self._module(args, task_vars, python)
            removed = bool(res.pop("staged_removed", False))
            if upload_time is not None:
                res["uploaded"] = True
            if res.get("needs_gate") and args.get("probe") == "controller":
                res = self._controller_gate(args, res, state, task_vars, python)
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
            # the module removes the upload once installed; after a failure before that, it is removed here
            if made_tmp and not removed:
                self._remove_tmp_path(made_tmp)
        return result

    def _controller_gate(self, args, res, state, task_vars, python):
        carry = {k: res[k] for k in CARRY if k in res}
        results = {}
        try:
            if state == "deployed":
                results["health"] = self._probe(args, args.get("checks") or [])
                follow = dict(args, phase="finish", gate_results=dict(results, carry=carry))
                res = self._module(follow, task_vars, python)
                if not res.get("needs_gate"):
                    return res
                carry.update({k: res[k] for k in CARRY if k in res})
            results["rollback_health"] = self._probe(args, res.get("rollback_checks") or [])
        except ValueError as exc:
            raise AnsibleActionFail("systemd_release: checks: %s" % exc)
        phase = "finish" if state == "deployed" else "rollback_finish"
        follow = dict(args, phase=phase, gate_results=dict(results, carry=carry))
        return self._module(follow, task_vars, python)
