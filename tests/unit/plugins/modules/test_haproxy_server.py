"""The pure parts of haproxy_server; the module itself runs against the lab's real HAProxy."""

from __future__ import annotations

import pytest

from ansible_collections.gopherops.baremetal.plugins.modules import haproxy_server as mod

STAT = ("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status\n"
        "www,FRONTEND,,,0,1,,,,,,,,,,,,OPEN\n"
        "app,app1,0,0,2,3,,,,,,,,,,,,UP\n"
        "app,app2,0,0,0,3,,,,,,,,,,,,MAINT\n"
        "api,app1,0,0,0,3,,,,,,,,,,,,DRAIN\n"
        "app,BACKEND,0,0,2,3,,,,,,,,,,,,UP\n\n")


@pytest.fixture
def rows(monkeypatch):
    monkeypatch.setattr(mod, "command", lambda path, line: STAT)
    return mod.server_rows("/run/haproxy/admin.sock")


def test_rows_are_the_server_lines_only(rows):
    assert rows == {("app", "app1"): {"status": "UP", "sessions": 2, "checked": False},
                    ("app", "app2"): {"status": "MAINT", "sessions": 0, "checked": False},
                    ("api", "app1"): {"status": "DRAIN", "sessions": 0, "checked": False}}


def test_a_server_is_found_in_every_backend_unless_one_is_named(rows):
    assert mod.locate(rows, ["app1", "app2"], "") == {"app1": ["app", "api"], "app2": ["app"]}
    assert mod.locate(rows, ["app1"], "api") == {"app1": ["api"]}


def test_a_missing_server_names_the_backends_that_exist(rows):
    with pytest.raises(mod.HAProxyError, match=r"server 'app3' is not in any backend \(backends with servers: api, app\)"):
        mod.locate(rows, ["app3"], "")
    with pytest.raises(mod.HAProxyError, match="not in backend 'api'"):
        mod.locate(rows, ["app2"], "api")


def test_not_a_stat_answer_is_an_error(monkeypatch):
    monkeypatch.setattr(mod, "command", lambda path, line: "Permission denied.\n")
    with pytest.raises(mod.HAProxyError, match="unexpected answer to 'show stat'.*Permission denied"):
        mod.server_rows("/x")


@pytest.mark.parametrize("row, state, done", [
    ({"status": "MAINT", "sessions": 0}, "drained", True),
    ({"status": "MAINT", "sessions": 1}, "drained", False),
    ({"status": "DRAIN", "sessions": 0}, "drained", False),
    ({"status": "UP", "sessions": 0}, "enabled", True),
    ({"status": "UP 1/2", "sessions": 0}, "enabled", True),
    ({"status": "DOWN 1/2", "sessions": 0}, "enabled", False),
])
def test_settled(row, state, done):
    assert mod.settled(row, state) is done


def test_a_socket_that_is_not_there_is_named(tmp_path):
    with pytest.raises(mod.HAProxyError, match="runtime socket .*nothere"):
        mod.command(str(tmp_path / "nothere"), "show stat")


def test_an_enable_forces_a_checked_server_down_in_the_same_command_line():
    # so that it gets requests only after HAProxy's own checks pass again, not on its old health
    assert mod.enable_line("app", "app1", True) == "set server app/app1 state ready; set server app/app1 health down"
    # without checks nothing would ever bring it back up
    assert mod.enable_line("app", "app1", False) == "set server app/app1 state ready"


def test_a_server_has_checks_when_haproxy_counts_its_failed_checks(monkeypatch):
    stat = ("# pxname,svname,scur,status,chkfail\n"
            "app,app1,0,MAINT,4\n"
            "app,app2,0,MAINT,\n")
    monkeypatch.setattr(mod, "command", lambda path, line: stat)
    rows = mod.server_rows("/x")
    assert rows[("app", "app1")]["checked"] and not rows[("app", "app2")]["checked"]


@pytest.mark.parametrize("answer, problem", [
    ("\n\n", ""),
    ("\ncannot change health on a tracking server.\n", ""),   # it follows the server it tracks
    ("No such server.\n\n", "No such server."),
])
def test_refusal(answer, problem):
    assert mod.refusal(answer) == problem
