# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The deploy lock: who holds it and whether a new run may take it. Pure decisions on dicts, so
they are unit-tested; the deploy_lock module does the file work."""

from __future__ import annotations

import datetime

FREE, OURS, HELD, EXPIRED = "free", "ours", "held", "expired"


def parse_time(text):
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    except (TypeError, ValueError):
        return None


def format_time(when):
    return when.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expires(lock):
    started = parse_time(lock.get("started"))
    try:
        ttl = int(lock.get("ttl"))
    except (TypeError, ValueError):
        ttl = 0
    return started + datetime.timedelta(seconds=ttl) if started else None


def judge(current, run_id, now):
    """FREE (no lock), OURS (this run holds it), EXPIRED (someone else's, past its TTL, or unreadable)
    or HELD (someone else's and still valid)."""
    if current is None:
        return FREE
    if current.get("run_id") == run_id:
        return OURS
    end = expires(current)
    if end is None or now >= end:
        return EXPIRED
    return HELD


def describe(lock):
    """One line naming the holder, for messages."""
    if not lock:
        return "nobody"
    end = expires(lock)
    return "%s (run %s, from %s, pid %s, started %s, expires %s)" % (
        lock.get("owner", "?"), lock.get("run_id", "?"), lock.get("controller", "?"), lock.get("pid", "?"),
        lock.get("started", "?"), format_time(end) if end else "unknown")
