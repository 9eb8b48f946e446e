# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Batches of a rolling deploy, cut the way ansible-playbook cuts a play's `serial` (so a plan
printed before the rollout shows the batches the rollout will run), and the batch gate's arithmetic."""

from __future__ import annotations

import re

_ITEM = re.compile(r"^\s*(\d+)\s*(%?)\s*$")


class BatchError(ValueError):
    """A serial value ansible-playbook would not accept, or would read differently than meant."""


def parse_serial(serial):
    """Return a list of (number, is_percent); raise BatchError naming the bad item."""
    items = serial if isinstance(serial, (list, tuple)) else [serial]
    if not items:
        raise BatchError("deploy_serial is an empty list; give a number, a percentage like '25%', or a list of them")
    out = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, str)):
            raise BatchError("deploy_serial: %r is not a number of hosts or a percentage like '25%%'" % (item,))
        match = _ITEM.match(str(item))
        if not match:
            raise BatchError("deploy_serial: %r is not a number of hosts or a percentage like '25%%'" % (item,))
        number, pct = int(match.group(1)), bool(match.group(2))
        if pct and not 0 < number <= 100:
            raise BatchError("deploy_serial: %r is not a percentage from 1%% to 100%%" % (item,))
        out.append((number, pct))
    return out


def serial_batches(hosts, serial):
    """Cut hosts into batches: percentages are of all hosts, rounded down but at least 1; the last item
    repeats until every host has a batch; 0 means all at once."""
    hosts = list(hosts)
    items = parse_serial(serial)
    total = len(hosts)
    batches = []
    index = 0
    while hosts:
        number, pct = items[index]
        size = (int(number / 100.0 * total) or 1) if pct else number
        if size <= 0:
            batches.append(hosts)
            break
        batches.append(hosts[:size])
        hosts = hosts[size:]
        index = min(index + 1, len(items) - 1)
    return batches


def batch_failed(batch_size, failures, max_fail_percentage):
    """Whether a batch with this many failed hosts stops the rollout (as ansible-playbook's
    max_fail_percentage: stop when the failed share is above the percentage)."""
    if failures <= 0:
        return False
    return failures * 100.0 / max(batch_size, 1) > float(max_fail_percentage)
