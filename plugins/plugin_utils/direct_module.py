# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A direct module run: one of this collection's host modules, run by the host's python3 from
source, without AnsiballZ.

An AnsiballZ run compiles Ansible's module_utils on the host each time (they run from a zip with no
cached bytecode): about 0.15 s of the host's CPU before the module does anything, in every host of
every batch. A direct run sends the module, the collection's module_utils it imports and
host_shim.py (in place of AnsibleModule) to python3 on stdin, as Ansible's pipelining sends
AnsiballZ, with the arguments validated here first against the module's own argument spec (same
messages, defaults and types). Secrets travel on stdin, never on a command line.

It is used only where the connection pipelines modules (the ssh connection with pipelining on; not
paramiko, which cannot send stdin) and where the module needs nothing of Ansible's on the host; the
caller decides the second and falls back to _execute_module otherwise."""

from __future__ import annotations

import json
import os
import re
import shlex

from ansible import constants as C
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.common.text.converters import to_text

PLUGINS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UTILS_PACKAGE = "ansible_collections.gopherops.baremetal.plugins.module_utils"
SHIM = os.path.join(PLUGINS, "plugin_utils", "host_shim.py")
_UTIL_IMPORT = re.compile(r"^\s*from ansible_collections\.gopherops\.baremetal\.plugins\.module_utils"
                          r"(?:\.(\w+) import|\s+import\s+(\w+))", re.M)
# the packages the program makes empty modules for, so that the module's imports resolve
PACKAGES = ("ansible", "ansible.module_utils", "ansible.module_utils.common", "ansible.module_utils.common.text",
            "ansible_collections", "ansible_collections.gopherops", "ansible_collections.gopherops.baremetal",
            "ansible_collections.gopherops.baremetal.plugins", UTILS_PACKAGE)

BOOT = r'''
import json, sys, types
SOURCES = json.loads(%(sources)s)
RUN = json.loads(%(run)s)


class _Sources(object):
    """Serves the collection's module_utils from SOURCES."""

    def find_spec(self, name, path=None, target=None):
        if name not in SOURCES:
            return None
        import importlib.util
        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, mod):
        exec(compile(SOURCES[mod.__name__], "<%%s>" %% mod.__name__, "exec"), mod.__dict__)


for _name in %(packages)r:
    _pkg = types.ModuleType(_name)
    _pkg.__path__ = []
    sys.modules[_name] = _pkg
_shim = types.ModuleType("ansible.module_utils.basic")
exec(compile(SOURCES.pop("__shim__"), "<host_shim>", "exec"), _shim.__dict__)
_shim.RUN.update(RUN)
sys.modules["ansible.module_utils.basic"] = sys.modules["ansible.module_utils.common.text.converters"] = _shim
sys.meta_path.insert(0, _Sources())
_upload = None
if %(payload)r:
    # the rest of stdin is a file for the module (the binary): kept in a directory of its own, which
    # the module removes once it has installed the file, and this program in any case
    import os, shutil, tempfile
    _upload = tempfile.mkdtemp(prefix="gopherops-upload-")
    with open(os.path.join(_upload, "release-upload"), "wb") as _fh:
        shutil.copyfileobj(sys.stdin.buffer, _fh, 1 << 20)
    RUN["params"][%(payload)r] = os.path.join(_upload, "release-upload")
_main = {"__name__": "__main__"}
try:
    exec(compile(SOURCES.pop("__module__"), "<%(module)s>", "exec"), _main)
except SystemExit:
    raise
except BaseException as _exc:
    import traceback
    _out = {"failed": True, "msg": "%(module)s failed on the host: %%s: %%s" %% (type(_exc).__name__, _exc),
            "exception": traceback.format_exc()}
    sys.stdout.write(json.dumps(_shim.mask(_out, set(str(v) for v in RUN.get("no_log_values", ()) if str(v)))) + "\n")
    sys.exit(1)
finally:
    if _upload:
        shutil.rmtree(_upload, ignore_errors=True)
'''


def host_python(task_vars, delegate_to=None, template=lambda value: value):
    """The Python that runs lock_host and direct module runs on the host the task runs on: its
    ansible_python_interpreter, or python3 when unset or left to discovery. A delegated task runs on the delegated host, whose
    variables Ansible keeps apart, under ansible_delegated_vars, from those of the task's own host."""
    delegated = task_vars.get("ansible_delegated_vars") or {}
    if delegate_to and delegate_to in delegated:
        task_vars = delegated[delegate_to]
    python = task_vars.get("ansible_python_interpreter") or "python3"
    python = template(python) if isinstance(python, str) else "python3"
    if not python or python.startswith("auto"):
        python = "python3"
    return python


def _read(path):
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def sources(module):
    """{name: source} of the module (as __module__), the module_utils it imports, directly or not,
    and the shim (as __shim__)."""
    out = {"__module__": _read(os.path.join(PLUGINS, "modules", module + ".py")), "__shim__": _read(SHIM)}
    pending = [out["__module__"]]
    while pending:
        for match in _UTIL_IMPORT.finditer(pending.pop()):
            name = "%s.%s" % (UTILS_PACKAGE, match.group(1) or match.group(2))
            if name not in out:
                out[name] = _read(os.path.join(PLUGINS, "module_utils", name.rsplit(".", 1)[1] + ".py"))
                pending.append(out[name])
    return out


def validate(args, argument_spec, **rules):
    """(params, no_log_values, path options) as AnsibleModule would see them, or raises ValueError
    with its message. Path options are expanded on the host, as AnsibleModule does there."""
    paths = [name for name, spec in argument_spec.items() if spec.get("type") == "path"]
    spec = {name: dict(opts, type="str") if name in paths else opts for name, opts in argument_spec.items()}
    result = ArgumentSpecValidator(spec, **rules).validate(dict(args))
    if result.error_messages:
        raise ValueError(result.errors.msg)
    return result.validated_parameters, sorted(str(v) for v in result._no_log_values), paths


def program(module, params, no_log_values, paths, check_mode, diff, payload=None):
    """The python3 program that runs module with params. With payload (an option's name), the program
    saves what follows it on stdin to a file on the host and passes that file's path as the option."""
    run = dict(params=params, no_log_values=no_log_values, paths=paths, check_mode=check_mode, diff=diff)
    return BOOT % dict(sources=repr(json.dumps(sources(module))), run=repr(json.dumps(run)), packages=PACKAGES,
                       module=module, payload=payload)


def invocation(python, text, payload=None, env=""):
    """(command, stdin) that run the program text with python; with payload (a file's path on the
    controller), python reads exactly the program from stdin and the program the file after it."""
    words = [shlex.quote(word) for word in shlex.split(python)]
    data = text.encode("utf-8")
    if payload:
        words += ["-c", shlex.quote("import sys; exec(compile(sys.stdin.buffer.read(%d), '<program>', 'exec'))"
                                    % len(data))]
        with open(payload, "rb") as fh:
            data += fh.read()
    env = (env or "").strip()
    return " ".join(([env] if env else []) + words), data


def usable(action):
    """Whether this task's connection can take the program on stdin: it pipelines modules, and no
    setting keeps the files Ansible would leave on the host for debugging."""
    return bool(action._is_pipelining_enabled("new")) and not C.DEFAULT_KEEP_REMOTE_FILES


def run(action, module, args, argument_spec, python, payload=None, **rules):
    """Run module on the task's host with args; returns its result as _execute_module would.
    payload: (option, path of a file on the controller) to send in the same round trip, after the
    program on stdin; the host saves it to a file whose path becomes the option's value."""
    try:
        params, secrets, paths = validate(args, argument_spec, **rules)
    except ValueError as exc:
        return dict(failed=True, msg=to_text(exc))
    text = program(module, params, secrets, paths, action._task.check_mode, bool(action._task.diff),
                   payload=payload[0] if payload else None)
    cmd, data = invocation(python, text, payload[1] if payload else None, action._compute_environment_string())
    res = action._low_level_execute_command(cmd, sudoable=True, in_data=data)
    out = to_text(res.get("stdout", ""), errors="surrogate_or_replace")
    for line in reversed(out.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                result = json.loads(line)
            except ValueError:
                continue
            if isinstance(result, dict):
                return result
    err = to_text(res.get("stderr", ""), errors="surrogate_or_replace").strip()
    return dict(failed=True, rc=res.get("rc"), msg="%s: the host's %s did not answer (rc=%s): %s"
                % (module, python, res.get("rc"), (err or out.strip())[-800:] or "no output"))
