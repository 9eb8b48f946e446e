from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.gopherops.baremetal.plugins.filter.file_sd_targets import file_sd_targets

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
