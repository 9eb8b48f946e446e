# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Controller-side steps shared by the action plugins that put a binary on a host (release,
systemd_release): find the binary, and send it only when the module says the host lacks it."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail


def resolve_src(action, args, who):
    """The binary's path on the controller; in check mode it may not be built yet (empty sha256)."""
    src = args.get("src")
    if not src:
        raise AnsibleActionFail("%s: src (the binary on the controller) is required" % who)
    src = action._find_needle("files", src) if not os.path.isabs(src) else src
    if not os.path.isfile(src) and not (action._task.check_mode and not args.get("sha256")):
        raise AnsibleActionFail("%s: src %s does not exist on the controller; build it first (go_build) or fix "
                                "the path" % (who, src))
    return src


def send(action, src, made_tmp=None):
    """Copy src into made_tmp, or a new temporary directory, on the host; returns (directory, path
    of the copy). The caller removes the directory."""
    made_tmp = made_tmp or action._make_tmp_path()
    remote = action._connection._shell.join_path(made_tmp, "release-upload")
    action._transfer_file(src, remote)
    action._fixup_perms2((made_tmp, remote))
    return made_tmp, remote
