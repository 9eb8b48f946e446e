# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Host half of a direct module run (plugin_utils/direct_module.py): the part of AnsibleModule and
of the text converters that this collection's host modules use, in the standard library alone.

A direct run sends the module's source, the module_utils it imports and this file to the host's
python3 on stdin, with the arguments the controller already validated against the module's own
argument spec. Without AnsiballZ the host compiles a few hundred lines instead of Ansible's
module_utils (about 0.15 s of CPU per run). This file is registered there as
ansible.module_utils.basic and as ansible.module_utils.common.text.converters; it is never imported
on the controller as those.

Kept to what the modules rely on: params (path options expanded on the host, as AnsibleModule does),
check_mode, _diff, run_command, get_bin_path, warn, exit_json and fail_json, whose output hides the
values of no_log options as AnsibleModule's does."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys

# set by the direct run's program before the module runs: params, check_mode, diff, no_log_values, paths
RUN = {}
MASK = "********"
_SURROGATE = (None, "surrogate_or_strict", "surrogate_or_replace", "surrogate_then_replace")


def to_text(obj, encoding="utf-8", errors=None, nonstring="simplerepr"):
    if isinstance(obj, str):
        return obj
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj).decode(encoding, "surrogateescape" if errors in _SURROGATE else errors)
    if nonstring == "passthru":
        return obj
    if nonstring == "empty":
        return ""
    if nonstring == "strict":
        raise TypeError("obj must be a string type")
    return str(obj)


def to_bytes(obj, encoding="utf-8", errors=None, nonstring="simplerepr"):
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj)
    if isinstance(obj, str):
        if errors in _SURROGATE:
            try:
                return obj.encode(encoding, "surrogateescape")
            except UnicodeEncodeError:
                if errors == "surrogate_or_strict":
                    raise
                return obj.encode(encoding, "replace")
        return obj.encode(encoding, errors)
    if nonstring == "passthru":
        return obj
    if nonstring == "empty":
        return b""
    if nonstring == "strict":
        raise TypeError("obj must be a string type")
    return str(obj).encode(encoding, "surrogateescape")


to_native = to_text


def mask(value, secrets):
    """value with every secret (and every string containing one) hidden, keys included."""
    if not secrets:
        return value
    if isinstance(value, str):
        if value in secrets:
            return MASK
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {mask(k, secrets): mask(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [mask(v, secrets) for v in value]
    return value


class AnsibleModule(object):
    """What the collection's host modules use of Ansible's AnsibleModule, for a direct run."""

    def __init__(self, argument_spec=None, supports_check_mode=False, **_rules):
        del argument_spec  # validated on the controller, against the same spec
        self.params = dict(RUN.get("params") or {})
        for name in RUN.get("paths") or ():
            if isinstance(self.params.get(name), str):
                self.params[name] = os.path.expanduser(os.path.expandvars(self.params[name]))
        self.check_mode = bool(RUN.get("check_mode"))
        self._diff = bool(RUN.get("diff"))
        self.no_log_values = {str(v) for v in RUN.get("no_log_values") or () if str(v)}
        self._warnings = []
        if self.check_mode and not supports_check_mode:
            self.exit_json(skipped=True, msg="remote module does not support check mode")

    def warn(self, warning):
        self._warnings.append(warning)

    def run_command(self, args, check_rc=False, data=None, cwd=None, environ_update=None, **_kw):
        """(rc, stdout, stderr) as text. args is a list, or a string split as a shell would (never run by
        a shell)."""
        if isinstance(args, (str, bytes)):
            args = shlex.split(to_text(args))
        env = dict(os.environ, **(environ_update or {}))
        try:
            proc = subprocess.run([to_text(a) for a in args], input=to_bytes(data) if data is not None else None,
                                  stdin=None if data is not None else subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, cwd=cwd, env=env, check=False)
        except OSError as exc:
            self.fail_json(msg="%s: %s" % (args[0] if args else "command", exc), rc=exc.errno or 2, cmd=args)
        out, err = to_text(proc.stdout), to_text(proc.stderr)
        if check_rc and proc.returncode != 0:
            self.fail_json(msg=err.strip() or out.strip(), rc=proc.returncode, stdout=out, stderr=err, cmd=args)
        return proc.returncode, out, err

    def get_bin_path(self, arg, required=False, opt_dirs=None):
        dirs = list(opt_dirs or []) + os.environ.get("PATH", "").split(os.pathsep)
        dirs += ["/sbin", "/usr/sbin", "/usr/local/sbin"]
        found = shutil.which(arg, path=os.pathsep.join(d for d in dirs if d))
        if required and not found:
            self.fail_json(msg="Failed to find required executable %s in paths: %s" % (arg, os.pathsep.join(dirs)))
        return found

    def _finish(self, result, rc):
        if self._warnings:
            result["warnings"] = list(result.get("warnings") or []) + self._warnings
        result["invocation"] = {"module_args": self.params}
        sys.stdout.write(json.dumps(mask(result, self.no_log_values)) + "\n")
        sys.stdout.flush()
        sys.exit(rc)

    def exit_json(self, **kwargs):
        kwargs.setdefault("changed", False)
        self._finish(kwargs, 0)

    def fail_json(self, msg, **kwargs):
        kwargs.update(failed=True, msg=msg)
        self._finish(kwargs, 1)
