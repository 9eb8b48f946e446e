"""The rollout's metrics gate against a real Prometheus: Debian's package on the lab's monitoring
host (lb1), set up by the prometheus_targets role and scraping the example service on every app
host every 2 s. A client sends requests through HAProxy the whole time. A good release passes the
gate batch after batch; a release that answers half of its requests with 500 passes its health
gate but fails the metrics gate on the canary, which goes back to the release before, and the run
stops; a Prometheus that cannot be asked fails the gate closed unless told otherwise."""

from __future__ import annotations

import os
import re

import pytest

from conftest import ROOT, get_json, playbook
from prober import Prober, haproxy_servers
from test_deploy import manifest, ssh

PROMETHEUS = os.path.join(ROOT, "tests", "integration", "files", "prometheus.yml")
QUERY = ('(sum(rate(http_requests_total{job="hello",code=~"5..",host=~"$hosts"}[20s])) or vector(0))'
         ' / sum(rate(http_requests_total{job="hello",host=~"$hosts"}[20s]))')
ENV = {"LISTEN_ADDR": ":8080", "LOG_LEVEL": "info", "DRAIN_DELAY": "2s"}


@pytest.fixture(scope="module")
def lb(lab):
    if not lab["lb"]:
        pytest.fail("the lab has no load balancer host (also its monitoring host): run 'make lab-up' with LAB_LB=1")
    run = playbook(PROMETHEUS, extra_vars={"prometheus_targets_manage_server": True, "prometheus_targets_exporters": {},
                                           "prometheus_targets_scrape_interval": "2s"})
    assert run.rc == 0, run.out[-4000:]
    return next(iter(lab["lb"].values()))


def gated(version, **over):
    out = {"app_version": version, "deploy_serial": [1, "100%"], "go_service_env": ENV,
           "rollout_metrics_gate_query": QUERY, "rollout_metrics_gate_max": "0.05",
           "rollout_metrics_gate_delegate": "lb1", "rollout_metrics_gate_url": "http://127.0.0.1:9090",
           "rollout_metrics_gate_wait": 20}
    out.update(over)
    return out


def test_bad_gate_settings_stop_before_any_host_changes(lab):
    before = {h: ssh(lab, h, "cat /opt/hello/releases.json").stdout for h in lab["hosts"]}
    run = playbook("deploy.yml", extra_vars=gated("9.0.9", rollout_metrics_gate_max="", rollout_metrics_gate_min="",
                                                  rollout_metrics_gate_url="prometheus:9090"))
    assert run.rc != 0
    assert "rollout_metrics_gate_query needs rollout_metrics_gate_max or rollout_metrics_gate_min" in run.out, run.out[-3000:]
    assert "rollout_metrics_gate_url must be an http(s) URL" in run.out
    assert {h: ssh(lab, h, "cat /opt/hello/releases.json").stdout for h in lab["hosts"]} == before


def test_a_good_release_passes_the_gate_batch_after_batch(lab, lb):
    run = playbook("deploy.yml", extra_vars={"app_version": "9.0.0", "go_service_env": ENV})
    assert run.rc == 0, run.out[-4000:]
    with Prober(lb["http"], path="/") as prober:
        run = playbook("deploy.yml", extra_vars=gated("9.0.1"))
    assert run.rc == 0, run.out[-4000:]
    assert run.out.count("the metrics gate passed: the result = 0 (must be at most 0.05)") == 2, run.out[-4000:]
    assert all(get_json(port)["version"] == "9.0.1" for port in lab["hosts"].values())
    assert not prober.failures, prober.report()


def test_a_release_with_errors_fails_the_gate_and_the_canary_goes_back(lab, lb):
    hosts = sorted(lab["hosts"])
    canary = hosts[0]
    good = manifest(lab, canary)["active"]
    assert good.startswith("9.0.1-")
    # When a release that passes its health checks but fails half of its requests rolls out under traffic
    with Prober(lb["http"], path="/") as prober:
        run = playbook("deploy.yml", extra_vars=gated("9.0.2-errors", go_service_env=dict(ENV, FAIL_REQUESTS="0.5")))
    # Then the canary passed its health gate, failed the metrics gate, and is back on the release before
    assert run.rc != 0
    assert "%s failed at the metrics gate phase: healthy, but the metrics gate failed" % canary in run.out, run.out[-4000:]
    assert "(must be at most 0.05)" in run.out and "rolled back to %s, which is healthy again" % good in run.out
    assert prober.failures, "the client saw no failed request: the release under test failed none"
    m = manifest(lab, canary)
    assert m["active"] == good and any(r.startswith("9.0.2-errors-") for r in m["failed"])
    assert get_json(lab["hosts"][canary])["version"] == "9.0.1"
    # no later batch started, and every host is in rotation
    for host in hosts[1:]:
        assert not any(r.startswith("9.0.2") for r in manifest(lab, host)["releases"])
    assert all(st == "UP" for st, _n in haproxy_servers(lb["container"]).values())


def test_a_prometheus_that_cannot_be_asked_fails_closed_unless_told(lab, lb):
    del lb
    before = {h: get_json(port)["version"] for h, port in lab["hosts"].items()}
    nowhere = {"rollout_metrics_gate_url": "http://127.0.0.1:9", "rollout_metrics_gate_wait": 0}
    closed = playbook("deploy.yml", extra_vars=gated("9.0.3", **nowhere))
    assert closed.rc != 0
    failed = re.search(r"(\w+) failed at the metrics gate phase: healthy, but Prometheus could not be asked", closed.out)
    assert failed, closed.out[-4000:]
    assert "Connection refused" in closed.out and "fails closed (rollout_metrics_gate_on_error: fail)" in closed.out
    canary = failed.group(1)
    assert get_json(lab["hosts"][canary])["version"] == before[canary]
    opened = playbook("deploy.yml", extra_vars=gated("9.0.3", rollout_metrics_gate_on_error="pass", **nowhere))
    assert opened.rc == 0, opened.out[-4000:]
    assert "lets the batch pass (rollout_metrics_gate_on_error: pass)" in opened.out
    assert all(get_json(port)["version"] == "9.0.3" for port in lab["hosts"].values())
