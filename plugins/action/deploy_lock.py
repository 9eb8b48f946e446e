# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller half of deploy_lock: name the owner (user@controller), the controller and the
ansible-playbook process, and take over a lock whose process on this controller is gone."""

from __future__ import annotations

import getpass
import os
import socket

from ansible.plugins.action import ActionBase

MODULE = "gopherops.baremetal.deploy_lock"


def process_gone(pid):
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, TypeError, ValueError, OverflowError):
        return False
    return False


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        args.pop("take_over", None)
        controller = socket.gethostname()
        args["controller"] = controller
        # workers are forked from ansible-playbook, so the parent is the process that owns the run
        args["pid"] = os.getppid()
        if not args.get("owner"):
            try:
                user = getpass.getuser()
            except (KeyError, OSError):
                user = "uid%d" % os.getuid()
            args["owner"] = "%s@%s" % (user, controller)
        res = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        held = res.get("held_by") or {}
        if (args.get("state", "locked") == "locked" and held.get("controller") == controller
                and held.get("pid") and held.get("run_id") and process_gone(held["pid"])):
            res = self._execute_module(module_name=MODULE, module_args=dict(args, take_over=held["run_id"]),
                                       task_vars=task_vars)
        result.update(res)
        return result
