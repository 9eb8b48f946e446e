from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gopherops.baremetal.plugins.filter.file_sd_targets import file_sd_targets
from ansible_collections.gopherops.baremetal.plugins.filter.scrape_configs import scrape_configs

HOSTS = [{"name": "app1", "address": "10.0.0.1", "version": "1.4.0"},
         {"name": "app2", "address": "", "version": "1.3.9"}]


def test_one_file_per_job_and_one_entry_per_host_with_its_labels():
    files = file_sd_targets(HOSTS, "hello", "8080", {"node": 9100, "process": "9256"}, "prod", {"team": "core"})
    assert sorted(files) == ["hello", "node", "process"]
    first = {"env": "prod", "host": "app1", "app": "hello", "version": "1.4.0", "team": "core"}
    second = {"env": "prod", "host": "app2", "app": "hello", "version": "1.3.9", "team": "core"}
    assert files["hello"] == [{"targets": ["10.0.0.1:8080"], "labels": first},
                              {"targets": ["app2:8080"], "labels": second}]
    # an exporter's entries carry no app or version: they describe the host, not the service
    assert files["node"][1] == {"targets": ["app2:9100"], "labels": {"env": "prod", "host": "app2", "team": "core"}}
    assert files["process"][0]["targets"] == ["10.0.0.1:9256"]


def test_exporters_only():
    assert sorted(file_sd_targets(HOSTS, "", 8080, {"node": 9100}, "lab")) == ["node"]


@pytest.mark.parametrize("args, words", [
    ((HOSTS, "hello", "80a", {}, "lab"), "prometheus_targets_app_port must be a port"),
    ((HOSTS, "hello", 8080, {"node": 70000}, "lab"), "prometheus_targets_exporters.node must be a port"),
    ((HOSTS, "hello", 8080, ["node"], "lab"), "prometheus_targets_exporters must be a mapping"),
    ((HOSTS, "hello", 8080, {"no de": 9100}, "lab"), "'no de' is not a usable job name"),
    ((HOSTS, "hello", 8080, {}, "lab", {"__meta": "x", "ok": "y", "1x": "z"}), "refuses: 1x, __meta"),
    (([{"name": "app1", "address": "app1:9100"}], "hello", 8080, {}, "lab"), "prometheus_targets_address of app1"),
    ((HOSTS, "node", 8080, {"node": 9100}, "lab"), "names the job node, which is the service's"),
])
def test_bad_settings_are_named(args, words):
    with pytest.raises(AnsibleFilterError, match=words):
        file_sd_targets(*args)


PROBES = [{"name": "hello_probe", "module": "http_2xx"},
          {"name": "hello_tls", "module": "tls", "path": "/version", "port": "8443", "scheme": "https",
           "exporter": "blackbox.example.com:9115"}]


def test_a_probe_job_targets_the_service_url_of_each_host_with_the_service_labels():
    files = file_sd_targets(HOSTS, "hello", 8080, {"node": 9100}, "prod", probes=PROBES)
    assert sorted(files) == ["hello", "hello_probe", "hello_tls", "node"]
    assert files["hello_probe"][0] == {"targets": ["http://10.0.0.1:8080/readyz"],
                                       "labels": {"env": "prod", "host": "app1", "app": "hello", "version": "1.4.0"}}
    assert files["hello_tls"][1]["targets"] == ["https://app2:8443/version"]


def test_the_scrape_configs_send_a_probe_through_its_exporter():
    files = file_sd_targets(HOSTS, "hello", 8080, {"node": 9100}, "prod", probes=PROBES)
    configs = scrape_configs(files, "/etc/prometheus/file_sd/", "hello", "/m", "https", PROBES, 8080)
    assert [c["job_name"] for c in configs] == ["prometheus", "hello", "hello_probe", "hello_tls", "node"]
    by_job = {c["job_name"]: c for c in configs}
    assert by_job["hello"]["metrics_path"] == "/m" and by_job["hello"]["scheme"] == "https"
    assert by_job["node"] == {"job_name": "node", "file_sd_configs": [{"files": ["/etc/prometheus/file_sd/node.yml"]}]}
    probe = by_job["hello_probe"]
    assert probe["metrics_path"] == "/probe" and probe["params"] == {"module": ["http_2xx"]}
    assert probe["relabel_configs"] == [
        {"source_labels": ["__address__"], "target_label": "__param_target"},
        {"source_labels": ["__param_target"], "target_label": "instance"},
        {"target_label": "__address__", "replacement": "127.0.0.1:9115"}]
    assert by_job["hello_tls"]["relabel_configs"][2]["replacement"] == "blackbox.example.com:9115"


@pytest.mark.parametrize("probes, words", [
    ({"name": "p"}, "prometheus_targets_probes must be a list"),
    (["p"], r"prometheus_targets_probes\[0\] must be a mapping"),
    ([{"name": "p"}], r"prometheus_targets_probes\[0\] needs a name .* module"),
    ([{"name": "p", "module": "http 2xx"}], r"needs a name"),
    ([{"name": "p", "module": "m", "timeout": "5s"}], r"unknown keys: timeout"),
    ([{"name": "p", "module": "m", "path": "readyz"}], r"\[0\].path must start with /"),
    ([{"name": "p", "module": "m", "scheme": "ftp"}], r"\[0\].scheme must be http or https"),
    ([{"name": "p", "module": "m", "exporter": "blackbox"}], r"\[0\].exporter must be the host:port"),
    ([{"name": "p", "module": "m", "exporter": "blackbox:99999"}], r"\[0\].exporter must be a port number"),
    ([{"name": "p", "module": "m", "port": 0}], r"\[0\].port must be a port number"),
    ([{"name": "p", "module": "m"}, {"name": "p", "module": "n"}], "names the job p twice"),
    ([{"name": "node", "module": "m"}], "names the job node, which is already the service's or an exporter's"),
])
def test_bad_probes_are_named(probes, words):
    with pytest.raises(AnsibleFilterError, match=words):
        file_sd_targets(HOSTS, "hello", 8080, {"node": 9100}, "lab", probes=probes)
