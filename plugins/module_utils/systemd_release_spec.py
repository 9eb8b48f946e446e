# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The arguments of the systemd_release module, apart from the module: its action plugin validates
a direct run (plugin_utils/direct_module.py) against the same spec on the controller, and imports
this file alone rather than the module and everything it imports (about 15 ms in each worker)."""

from __future__ import annotations

ARGUMENT_SPEC = dict(
    name=dict(type="str", required=True),
    state=dict(type="str", default="deployed", choices=["deployed", "rolled_back"]),
    release_id=dict(type="str"),
    version=dict(type="str"),
    src=dict(type="path"),
    sha256=dict(type="str"),
    binary_name=dict(type="str"),
    base_dir=dict(type="path", required=True),
    config_dir=dict(type="path"),
    user=dict(type="str"),
    group=dict(type="str"),
    env=dict(type="dict", default={}),
    secret_env=dict(type="dict", default={}, no_log=True),
    unit=dict(type="str"),
    unit_path=dict(type="path"),
    keep_releases=dict(type="int", default=5),
    keep_backups=dict(type="bool", default=False),
    checks=dict(type="list", elements="dict", default=[]),
    health_timeout=dict(type="float", default=30),
    health_interval=dict(type="float", default=0.5),
    health_successes=dict(type="int", default=2),
    health_delay=dict(type="float", default=0),
    drained_stop_signal=dict(type="str"),
    stop_wait=dict(type="float", default=90),
    probe=dict(type="str", default="host", choices=["host", "controller"]),
    rollback_on_failure=dict(type="bool", default=True),
    to=dict(type="str"),
    journal_lines=dict(type="int", default=30),
    staged=dict(type="path"),
    host_lacks_binary=dict(type="bool", default=False),
    gate_results=dict(type="dict", default={}),
    phase=dict(type="str", default="all", choices=["all", "finish", "rollback_finish"]),
)
REQUIRED_IF = [("state", "deployed", ("release_id", "sha256", "unit"))]
