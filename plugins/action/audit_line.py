# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""audit_line runs here, on the controller: one JSON line appended with one write."""

from __future__ import annotations

import json
import os

from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _VALID_ARGS = frozenset(("path", "record", "mode"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = self._task.args
        path, record, mode = args.get("path"), args.get("record"), str(args.get("mode", "0640"))
        if not path or not isinstance(record, dict):
            return dict(result, failed=True, msg="audit_line needs 'path' and a mapping in 'record'")
        try:
            perms = int(mode, 8)
        except ValueError:
            return dict(result, failed=True, msg="audit_line: mode must be octal like 0640, got %r" % mode)
        path = os.path.expanduser(str(path))
        line = json.dumps(record, sort_keys=True, default=str)
        result.update(changed=False, line=line, path=path)
        if self._task.check_mode:
            return result
        try:
            os.makedirs(os.path.dirname(path) or ".", mode=0o700, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, perms)
            try:
                os.write(fd, to_bytes(line + "\n"))
            finally:
                os.close(fd)
        except OSError as exc:
            return dict(result, failed=True, msg="audit_line: cannot append to %s: %s" % (path, exc))
        return result
