from __future__ import annotations

import datetime
import types

import pytest
from ansible.executor.playbook_executor import PlaybookExecutor

from ansible_collections.gopherops.baremetal.plugins.filter.batch_of import batch_of
from ansible_collections.gopherops.baremetal.plugins.filter.text_table import text_table
from ansible_collections.gopherops.baremetal.plugins.module_utils import lock as lk
from ansible_collections.gopherops.baremetal.plugins.module_utils.batches import (
    BatchError, batch_failed, parse_serial, serial_batches)


def ansible_batches(hosts, serial):
    """The batches ansible-playbook itself cuts for a play with this serial."""
    executor = PlaybookExecutor.__new__(PlaybookExecutor)
    executor._inventory = types.SimpleNamespace(get_hosts=lambda pattern, order=None: list(hosts))
    play = types.SimpleNamespace(hosts="all", order=None, serial=serial if isinstance(serial, list) else [serial])
    return executor._get_serialized_batches(play)


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 8, 16, 17])
@pytest.mark.parametrize("serial", [[1, "25%", "100%"], 1, 2, "50%", "30%", ["10%", 3], 0, [1, 2, 0], "100%"])
def test_batches_match_ansible_playbook(count, serial):
    hosts = ["h%d" % i for i in range(count)]
    assert serial_batches(hosts, serial) == ansible_batches(hosts, serial)


def test_default_batches_are_canary_quarter_rest():
    hosts = ["app%d" % i for i in range(1, 9)]
    assert serial_batches(hosts, [1, "25%", "100%"]) == [["app1"], ["app2", "app3"], ["app4", "app5", "app6", "app7", "app8"]]
    assert serial_batches([], [1]) == []


@pytest.mark.parametrize("bad", [[], "fast", "25", "-1", "0%", "150%", 1.5, True, None, [1, "x"], {"a": 1}])
def test_bad_serial_is_named(bad):
    if bad == "25":   # a number as a string is fine, as in a play
        assert parse_serial(bad) == [(25, False)]
        return
    with pytest.raises(BatchError, match="deploy_serial"):
        parse_serial(bad)


def test_batch_gate_arithmetic():
    assert not batch_failed(4, 0, 0)
    assert batch_failed(4, 1, 0)
    assert not batch_failed(4, 1, 25)
    assert batch_failed(4, 2, 25)
    assert not batch_failed(1, 1, 100)


def test_batch_of_and_text_table():
    assert batch_of([["a"], ["b", "c"]], "c") == 2
    assert batch_of([["a"]], "z") == "-"
    lines = text_table([{"host": "app1", "release": "1.0.0"}, {"host": "app10", "release": ""}], ["host", "release"])
    assert lines == ["host   release", "app1   1.0.0", "app10  -"]


NOW = datetime.datetime(2026, 11, 23, 12, 0, 0, tzinfo=datetime.timezone.utc)


def lock(run_id="r1", started="2026-11-23T11:30:00Z", ttl=3600):
    return {"run_id": run_id, "owner": "alice@ctl", "controller": "ctl", "pid": 42, "started": started, "ttl": ttl}


def test_lock_verdicts():
    assert lk.judge(None, "r2", NOW) == lk.FREE
    assert lk.judge(lock(), "r1", NOW) == lk.OURS
    assert lk.judge(lock(), "r2", NOW) == lk.HELD
    assert lk.judge(lock(ttl=1800), "r2", NOW) == lk.EXPIRED     # 11:30 + 30 min = now
    assert lk.judge({}, "r2", NOW) == lk.EXPIRED                  # unreadable lock: breakable
    text = lk.describe(lock())
    assert "alice@ctl" in text and "run r1" in text and "expires 2026-11-23T12:30:00Z" in text
