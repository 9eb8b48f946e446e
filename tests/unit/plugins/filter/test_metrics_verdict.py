from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gopherops.baremetal.plugins.filter.metrics_verdict import metrics_verdict


def answer(kind, result):
    return {"status": 200, "json": {"status": "success", "data": {"resultType": kind, "result": result}}}


def vector(*values):
    return answer("vector", [{"metric": {"host": "app%d" % i}, "value": [1, v]} for i, v in enumerate(values, 1)])


def test_values_within_the_limits_pass():
    got = metrics_verdict(vector("0.001", "0.004"), max=0.01)
    assert got["ok"] and [v["value"] for v in got["values"]] == [0.001, 0.004]
    assert metrics_verdict(answer("scalar", [1, "0.2"]), max="0.5", min="0.1")["ok"]


def test_a_series_that_crosses_fails_the_gate_and_is_named():
    got = metrics_verdict(vector("0.001", "0.5"), max=0.01)
    assert not got["ok"] and 'app2"} = 0.5' in got["msg"] and "app1" not in got["msg"] and "at most 0.01" in got["msg"]
    low = metrics_verdict(answer("scalar", [1, "3"]), min=5)
    assert not low["ok"] and "the result = 3" in low["msg"] and "at least 5" in low["msg"]


@pytest.mark.parametrize("result", [vector(), vector("NaN")])
def test_no_value_follows_no_data(result):
    assert not metrics_verdict(result, max=1)["ok"] and "or vector(0)" in metrics_verdict(result, max=1)["msg"]
    assert metrics_verdict(result, max=1, no_data="pass")["ok"]


@pytest.mark.parametrize("result, words", [
    ({"failed": True, "status": -1, "msg": "Status code was -1 and not [200]: Request failed: <urlopen error [Errno 111] refused>"},
     "could not be asked (Status code was -1"),
    ({"failed": True, "status": 400, "json": {"status": "error", "error": "parse error at char 4"}}, "HTTP 400: parse error"),
    ({"unreachable": True, "msg": "ssh: connect to host mon1 port 22"}, "connect to host mon1"),
    (answer("matrix", []), "needs an instant vector"),
])
def test_an_unanswered_query_fails_closed_unless_told(result, words):
    closed = metrics_verdict(result, max=1)
    assert not closed["ok"] and words in closed["msg"]
    assert metrics_verdict(result, max=1, on_error="pass")["ok"]


@pytest.mark.parametrize("kw, words", [
    ({}, "needs rollout_metrics_gate_max or rollout_metrics_gate_min"),
    ({"max": "1%"}, "rollout_metrics_gate_max must be a number"),
    ({"max": 1, "no_data": "ignore"}, "rollout_metrics_gate_no_data must be"),
    ({"max": 1, "on_error": "open"}, "rollout_metrics_gate_on_error must be"),
])
def test_bad_settings_are_named(kw, words):
    with pytest.raises(AnsibleFilterError, match=words):
        metrics_verdict(vector("0"), **kw)
