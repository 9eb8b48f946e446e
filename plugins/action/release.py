# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller half of the release module: run the module; when it says the binary is missing on
the host, send the file from the controller to the host's temporary directory and run it again."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.gopherops.baremetal.plugins.plugin_utils.binary import resolve_src, send


class ActionModule(ActionBase):

    TRANSFERS_FILES = False  # a temporary directory is made only when the binary must be sent
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        args.pop("staged", None)
        state = args.get("state", "active")
        made_tmp = None
        try:
            if state in ("present", "active"):
                args["src"] = resolve_src(self, args, "release")
            first = self._execute_module(module_name="gopherops.baremetal.release", module_args=args,
                                         task_vars=task_vars)
            if not first.get("needs_upload"):
                result.update(first)
                return result
            made_tmp, args["staged"] = send(self, args["src"])
            second = self._execute_module(module_name="gopherops.baremetal.release", module_args=args,
                                          task_vars=task_vars)
            second.pop("needs_upload", None)
            result.update(second)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=to_text(exc))
        finally:
            if made_tmp:
                self._remove_tmp_path(made_tmp)
        return result
