"""playbooks/monitoring.yml on the lab: on two app hosts, blackbox_exporter (the shared installer's
second exporter, with its probe modules) from Debian's package, and node_exporter from Debian's
package on one and, on the other, from a release archive the test makes from that package's real
binary, served through the controller's cache with its sha256. Their targets, the example service's
and a blackbox probe of the service are written as file_sd files on the monitoring host (lb1), and
Debian's Prometheus there, installed and configured by the prometheus_targets role, scrapes them.
The Prometheus API must report up == 1 for every target, with the labels set. The other two app
hosts are left to the node_exporter suite's installs."""

from __future__ import annotations

import json
import os
import time
import urllib.parse

import pytest
import yaml

from ansible_collections.gopherops.baremetal.plugins.filter.promql_hosts import promql_hosts
from conftest import ROOT, app_hosts, node_exporter_archive, on, playbook

HOSTS = [name for name, _ct in app_hosts()[2:]]
APP_CT = app_hosts()[2][1]
# node_exporter from the release archive here, from the package on the other
TAR_HOST, TAR_CT = app_hosts()[3]
DASHBOARD = os.path.join(ROOT, "roles", "prometheus_targets", "files", "grafana-dashboard.json")
VERSION = "8.0.0"


@pytest.fixture(scope="module")
def monitor(lab):
    if not lab["lb"]:
        pytest.fail("the lab has no load balancer host (the monitoring host): run 'make lab-up' with LAB_LB=1")
    return next(iter(lab["lb"].values()))["container"]


@pytest.fixture(scope="module")
def archive(monitor, tmp_path_factory):  # pylint: disable=unused-argument,redefined-outer-name
    """The archive made from the package's binary on the first host; the second has no package."""
    res = playbook(os.path.join(ROOT, "tests", "integration", "files", "node_exporter.yml"),
                   extra_vars={"target": HOSTS[0], "node_exporter_install": "package"})
    assert res.rc == 0, res.out[-4000:]
    on(TAR_CT, "DEBIAN_FRONTEND=noninteractive apt-get purge -y -q prometheus-node-exporter >/dev/null 2>&1 || true")
    return node_exporter_archive(APP_CT, str(tmp_path_factory.mktemp("exporter")))


def settings(archive, **over):  # pylint: disable=redefined-outer-name
    out = {"deploy_hosts": ":".join(HOSTS), "prometheus_targets_hosts": HOSTS,
           # one play, two install methods: the method is a host's own setting
           "node_exporter_install": "{{ 'tarball' if inventory_hostname == '%s' else 'package' }}" % TAR_HOST,
           "node_exporter_version": archive["version"], "node_exporter_url": archive["url"],
           "node_exporter_checksums": {"amd64": archive["sha256"]}, "node_exporter_cache_dir": archive["cache"],
           "prometheus_targets_probes": [{"name": "hello_probe", "module": "http_2xx", "exporter": "%s:9115" % HOSTS[0]}],
           "prometheus_targets_manage_server": True, "prometheus_targets_scrape_interval": "2s",
           "monitoring_exporters": ["node_exporter", "blackbox_exporter"], "blackbox_exporter_install": "package",
           "prometheus_targets_exporters": {"node": 9100, "blackbox": 9115},
           "app_version": VERSION, "prometheus_targets_grafana_dashboard_dir": "/var/lib/grafana/dashboards"}
    out.update(over)
    return out


def query(container, promql):
    url = "http://127.0.0.1:9090/api/v1/query?query=" + urllib.parse.quote(promql)
    out = json.loads(on(container, "curl -sf '%s'" % url).stdout)
    assert out["status"] == "success", out
    return out["data"]["result"]


def wait_query(container, promql, timeout=60):
    """The query's answer once it has one (or the empty answer when the time is up)."""
    deadline = time.monotonic() + timeout
    while True:
        found = query(container, promql)
        if found or time.monotonic() > deadline:
            return found
        time.sleep(2)


def wait_up(container, count, timeout=90):
    deadline = time.monotonic() + timeout
    while True:
        found = query(container, "up")
        mine = [r for r in found if r["metric"].get("job") != "prometheus"]
        if len(mine) == count and all(r["value"][1] == "1" for r in mine) or time.monotonic() > deadline:
            return mine
        time.sleep(2)


def test_every_exporter_and_app_instance_is_scraped_with_its_labels(monitor, archive):  # pylint: disable=redefined-outer-name
    # Given the example service deployed on the two hosts
    run = playbook("deploy.yml", extra_vars={"app_version": VERSION, "deploy_hosts": ":".join(HOSTS)})
    assert run.rc == 0, run.out[-4000:]
    # When the monitoring playbook runs
    run = playbook("monitoring.yml", extra_vars=settings(archive))
    assert run.rc == 0, run.out[-4000:]
    # Then the monitoring host has one file per job, one entry per host
    texts = {job: on(monitor, "cat /etc/prometheus/file_sd/%s.yml" % job).stdout
             for job in ("hello", "node", "blackbox", "hello_probe")}
    files = {job: yaml.safe_load(text) for job, text in texts.items()}
    assert all(t.startswith("# managed by gopherops.baremetal.prometheus_targets for env=lab app=hello group=app\n")
               for t in texts.values()), texts
    assert [e["targets"] for e in files["hello"]] == [["%s:8080" % h] for h in HOSTS]
    assert [e["targets"] for e in files["node"]] == [["%s:9100" % h] for h in HOSTS]
    assert [e["targets"] for e in files["blackbox"]] == [["%s:9115" % h] for h in HOSTS]
    assert [e["targets"] for e in files["hello_probe"]] == [["http://%s:8080/readyz" % h] for h in HOSTS]
    assert files["hello"][0]["labels"] == {"env": "lab", "host": HOSTS[0], "app": "hello", "version": VERSION}
    assert files["hello_probe"][1]["labels"] == {"env": "lab", "host": HOSTS[1], "app": "hello", "version": VERSION}
    # node_exporter on the second host is the archive's, and that host has no package
    assert on(TAR_CT, "dpkg -s prometheus-node-exporter", check=False).returncode != 0
    assert "/usr/local/bin/node_exporter" in on(TAR_CT, "systemctl show -p ExecStart --value node_exporter").stdout
    assert on(monitor, "stat -c '%U:%G %a' /etc/prometheus/file_sd/hello.yml").stdout.strip() == "root:root 644"
    # And Prometheus scrapes every exporter and every app instance, with the labels set
    up = wait_up(monitor, 4 * len(HOSTS))
    got = sorted((r["metric"]["job"], r["metric"]["instance"], r["value"][1]) for r in up)
    assert got == sorted([(job, "%s:%d" % (h, port), "1") for h in HOSTS
                          for job, port in (("hello", 8080), ("node", 9100), ("blackbox", 9115))]
                         + [("hello_probe", "http://%s:8080/readyz" % h, "1") for h in HOSTS]), up
    # And the probe job asks blackbox_exporter, which finds each instance's /readyz answering
    probes = wait_query(monitor, 'probe_success{job="hello_probe"} == 1')
    assert sorted((r["metric"]["host"], r["metric"]["version"]) for r in probes) == [(h, VERSION) for h in HOSTS], probes
    # blackbox_exporter, the second exporter of the shared installer, probes with the modules it was given
    probe = on(monitor, "curl -sf 'http://%s:9115/probe?module=http_2xx&target=http://%s:8080/healthz'" % (HOSTS[0], HOSTS[0]))
    assert "probe_success 1" in probe.stdout, probe.stdout[-2000:]
    for r in up:
        assert r["metric"]["env"] == "lab" and r["metric"]["host"] in HOSTS
        if r["metric"]["job"] == "hello":
            assert r["metric"]["app"] == "hello" and r["metric"]["version"] == VERSION
    # the service's own metrics arrive too, from the version deployed
    info = query(monitor, 'hello_build_info{job="hello"}')
    assert sorted(r["metric"]["host"] for r in info) == HOSTS and {r["metric"]["version"] for r in info} == {VERSION}, info
    # And the service's alert rules are loaded, checked by promtool first
    rules = json.loads(on(monitor, "curl -sf http://127.0.0.1:9090/api/v1/rules").stdout)["data"]["groups"]
    alerts = sorted(r["name"] for g in rules if g["name"] == "hello" for r in g["rules"])
    assert alerts == ["HelloDown", "HelloErrorRatio", "HelloRestarts", "HelloSlowRequests"], rules
    assert all(r["health"] == "ok" for g in rules for r in g["rules"]), rules
    # And the metrics gate's $hosts, names with dots and dashes included, is a selector this Prometheus takes
    selected = query(monitor, 'up{job="hello",host=~"%s"}' % promql_hosts([HOSTS[0], "app-1.staging.example.com"]))
    assert [r["metric"]["host"] for r in selected] == [HOSTS[0]], selected
    # And every query of the Grafana dashboard is one this Prometheus answers, with data for this fleet
    with open(DASHBOARD, encoding="utf-8") as fh:
        dashboard = json.load(fh)
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert len(exprs) >= 10
    for expr in exprs:
        for var, value in (("$__rate_interval", "1m"), ("$node_job", "node"), ("$job", "hello"), ("$host", ".+")):
            expr = expr.replace(var, value)
        # a rate needs two scrapes of a job that Prometheus may have been given a moment ago
        assert wait_query(monitor, expr), expr
    with open(DASHBOARD, encoding="utf-8") as fh:
        assert on(monitor, "cat /var/lib/grafana/dashboards/gopherops-go-service.json").stdout == fh.read()
    # And a second run changes nothing, Prometheus included
    again = playbook("monitoring.yml", extra_vars=settings(archive))
    assert again.rc == 0, again.out[-4000:]
    assert sum(r["changed"] for r in again.recap.values()) == 0, again.out[-4000:]
    # When the probe is taken out, its file goes (and its job), while a file the role did not write stays
    on(monitor, "printf -- '- targets: [\"other.example:9100\"]\\n' > /etc/prometheus/file_sd/other.yml")
    fewer = playbook("monitoring.yml", extra_vars=settings(archive, prometheus_targets_probes=[]))
    assert fewer.rc == 0, fewer.out[-4000:]
    assert on(monitor, "ls /etc/prometheus/file_sd").stdout.split() == ["blackbox.yml", "hello.yml", "node.yml", "other.yml"]
    assert "hello_probe" not in on(monitor, "cat /etc/prometheus/prometheus.yml").stdout
    on(monitor, "rm /etc/prometheus/file_sd/other.yml")


def test_bad_settings_stop_before_a_file_changes(monitor, archive):  # pylint: disable=redefined-outer-name
    files = "/etc/prometheus/file_sd/*.yml /etc/prometheus/rules/*.yml /etc/prometheus/prometheus.yml"
    # (the first test ended without the probe, which these runs name: a run that fails must not write its file)
    before = on(monitor, "cat %s" % files, check=False).stdout
    # a probe module that blackbox_exporter refuses never replaces the modules in use, and its words are shown
    conf = "/etc/blackbox_exporter/blackbox_exporter.yml"
    modules = on(APP_CT, "cat %s" % conf).stdout
    broken = {"broken": {"prober": "http", "timeout": "five seconds"}}
    bad_module = playbook("monitoring.yml", extra_vars=settings(archive, blackbox_exporter_modules=broken))
    assert bad_module.rc != 0 and "failed to validate" in bad_module.out and "five se" in bad_module.out, bad_module.out[-3000:]
    assert on(APP_CT, "cat %s" % conf).stdout == modules
    bad = playbook("monitoring.yml", extra_vars=settings(archive, prometheus_targets_exporters={"node": 70000}))
    assert bad.rc != 0 and "prometheus_targets_exporters.node must be a port number" in bad.out, bad.out[-3000:]
    empty = playbook("monitoring.yml", extra_vars=settings(archive, prometheus_targets_hosts=[]))
    assert empty.rc != 0 and "prometheus_targets_hosts is empty" in empty.out, empty.out[-3000:]
    # a prometheus.yml that promtool rejects never replaces the good one
    invalid = playbook("monitoring.yml", extra_vars=settings(archive, prometheus_targets_scrape_interval="2 seconds"))
    assert invalid.rc != 0 and "failed to validate" in invalid.out and "not a valid duration string" in invalid.out, invalid.out[-3000:]
    # and rules that promtool rejects never replace the good ones
    rules = playbook("monitoring.yml", extra_vars=settings(archive, prometheus_targets_alert_for="five minutes"))
    assert rules.rc != 0 and "failed to validate" in rules.out and "five minutes" in rules.out, rules.out[-3000:]
    assert on(monitor, "cat %s" % files, check=False).stdout == before
