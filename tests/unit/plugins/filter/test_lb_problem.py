from __future__ import annotations

import pytest

from ansible_collections.gopherops.baremetal.plugins.filter.lb_problem import FilterModule, lb_problem


def result(status=None, **kw):
    res = {"item": "lb1", "changed": True, "failed": False, "servers": {}, "timed_out": []}
    if status is not None:
        res["servers"]["app1"] = {"backends": ["app"], "before": "UP", "after": status, "sessions": 0}
    res.update(kw)
    return res


@pytest.mark.parametrize("status, state", [("MAINT", "drained"), ("MAINT (via app/x)", "drained"),
                                           ("UP", "enabled"), ("UP 1/2", "enabled")])
def test_server_where_it_should_be(status, state):
    assert lb_problem(result(status), "app1", state) == ""


@pytest.mark.parametrize("status, state, words", [
    ("DRAIN", "drained", "lb1 still has app1 in rotation (DRAIN)"),
    ("UP", "drained", "still has app1 in rotation (UP)"),
    ("DOWN", "enabled", "lb1 does not report app1 UP (DOWN)"),
    ("MAINT", "enabled", "does not report app1 UP (MAINT)"),
])
def test_server_in_the_wrong_state(status, state, words):
    assert words in lb_problem(result(status), "app1", state)


def test_failure_without_the_server_names_the_load_balancer_and_the_reason():
    res = result(failed=True, msg="server 'app1' is not in any backend (backends with servers: web)")
    assert lb_problem(res, "app1", "drained") == "lb1: server 'app1' is not in any backend (backends with servers: web)"


def test_unreachable_load_balancer():
    res = {"item": "lb1", "unreachable": True, "msg": "ssh: connect to host lb1 port 22: Connection refused"}
    assert lb_problem(res, "app1", "drained").startswith("lb1 could not be reached: ssh: connect")


def test_a_server_the_task_did_not_handle_is_a_problem():
    assert lb_problem(result(), "app2", "enabled") == "lb1 did not handle app2"


def test_registered():
    assert FilterModule().filters()["lb_problem"] is lb_problem
