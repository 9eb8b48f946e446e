# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""go_build on the controller runs in the task's own worker process instead of as a module run
(a module run costs a fresh interpreter and the module's packaging, about half a second, which is
most of a build that finds nothing to compile). Delegated to another machine, or with become, it
runs as the module there."""

from __future__ import annotations

import os
import shutil

from ansible.plugins.action import ActionBase
from ansible_collections.gopherops.baremetal.plugins.modules import go_build

MODULE = "gopherops.baremetal.go_build"


class _Finished(Exception):
    def __init__(self, result):
        super(_Finished, self).__init__("go_build finished")
        self.result = result


class _InProcess(object):
    """The part of AnsibleModule that go_build's Builder uses."""

    def __init__(self, params, check_mode):
        self.params = params
        self.check_mode = check_mode

    def fail_json(self, **kwargs):
        raise _Finished(dict(kwargs, failed=True))

    def exit_json(self, **kwargs):
        raise _Finished(kwargs)

    @staticmethod
    def get_bin_path(name):
        return shutil.which(name)


class ActionModule(ActionBase):

    TRANSFERS_FILES = False

    def _task_environment(self):
        env = {}
        for item in self._task.environment or []:
            templated = self._templar.template(item)
            if isinstance(templated, dict):
                env.update((str(k), str(v)) for k, v in templated.items())
        return env

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        local = getattr(self._connection, "transport", "") in ("local", "ansible.builtin.local")
        if not local or self._play_context.become:
            result.update(self._execute_module(module_name=MODULE, module_args=self._task.args, task_vars=task_vars))
            return result
        valid, params = self.validate_argument_spec(argument_spec=go_build.ARGUMENT_SPEC)
        del valid
        # this worker process runs this one task and exits: the task's environment can be its own
        os.environ.update(self._task_environment())
        try:
            go_build.Builder(_InProcess(params, self._task.check_mode)).main()
            out = {"failed": True, "msg": "go_build: ended without a result"}
        except _Finished as done:
            out = done.result
        result.update(out)
        result["invocation"] = {"module_args": params}
        return result
