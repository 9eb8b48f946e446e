# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller half of container_release: send the image archive only when the host lacks the
image id (asked with one plain command before the module runs), then run the module once."""

from __future__ import annotations

import os
import re
import shlex
import time

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.gopherops.baremetal.plugins.plugin_utils.binary import send

MODULE = "gopherops.baremetal.container_release"
IMAGE_ID_RE = re.compile(r"^sha256:[0-9a-f]{64}$")


class ActionModule(ActionBase):

    TRANSFERS_FILES = False  # a temporary directory is made only when the archive must be sent
    _requires_connection = True

    def _host_has_image(self, image_id):
        res = self._low_level_execute_command(
            "docker image inspect --format '{{.Id}}' %s 2>/dev/null || true" % shlex.quote(image_id), sudoable=True)
        return to_text(res.get("stdout", ""), errors="surrogate_or_replace").strip() == image_id

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        args.pop("staged", None)
        made_tmp = None
        started = time.monotonic()
        try:
            archive = args.get("image_archive")
            if archive and not os.path.isabs(archive):
                archive = args["image_archive"] = self._find_needle("files", archive)
            if archive and not os.path.isfile(archive) and not self._task.check_mode:
                raise AnsibleActionFail("container_release: image_archive %s does not exist on the controller; make it "
                                        "with go_image first or fix the path" % archive)
            upload_time = None
            image_id = args.get("image_id") or ""
            wants = (args.get("state", "deployed") == "deployed" and archive and IMAGE_ID_RE.match(image_id)
                     and not self._task.check_mode)
            if wants and not self._host_has_image(image_id):
                t0 = time.monotonic()
                made_tmp, args["staged"] = send(self, archive)
                upload_time = round(time.monotonic() - t0, 3)
            res = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
            if res.get("needs_upload") and not made_tmp:
                t0 = time.monotonic()
                made_tmp, args["staged"] = send(self, archive)
                upload_time = round(time.monotonic() - t0, 3)
                res = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
            res.pop("needs_upload", None)
            timings = res.setdefault("timings", {})
            if upload_time is not None:
                timings["upload"] = upload_time
                res["sent_bytes"] = os.path.getsize(archive)
            else:
                res["sent_bytes"] = 0
            timings["total"] = round(time.monotonic() - started, 3)
            result.update(res)
        except AnsibleActionFail as exc:
            result.update(failed=True, msg=to_text(exc))
        finally:
            if made_tmp:
                self._remove_tmp_path(made_tmp)
        return result
