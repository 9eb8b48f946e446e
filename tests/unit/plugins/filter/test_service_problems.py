from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.service_problems import FilterModule, service_problems

GOOD = {"name": "hello", "version": "1.4.0", "env": {"PORT": "8080"}, "secret_env": {"API_TOKEN": "x"},
        "health_checks": [{"url": "http://127.0.0.1:8080/readyz"}, {"tcp": "127.0.0.1:8080"}],
        "memory_max": "512M", "cpu_quota": "150%", "gomemlimit_fraction": 0.9, "capabilities": []}


def problems(**changes):
    return service_problems(dict(GOOD, **changes))


def test_good_settings_have_no_problem():
    assert problems() == []
    assert problems(memory_max="", cpu_quota="", capabilities=["CAP_NET_BIND_SERVICE"]) == []
    assert problems(memory_max="infinity") == [] and problems(memory_max="50%") == []


def test_each_problem_names_its_variable():
    assert problems(name="bad name!") == [
        "go_service_name must be a valid systemd unit name (letters, digits, '_', '.', '-'; got 'bad name!')."]
    assert problems(version="") == ["go_service_version must be set.",
                                    "go_service_version '' makes the release id '-<sha256 prefix>', which is not "
                                    "usable as a directory name: use letters, digits, '.', '_', '+' and '-' in the "
                                    "version."]
    assert problems(version="1.0/x")[0].startswith("go_service_version '1.0/x' makes the release id")
    assert problems(env={"PORT": "1", "API_TOKEN": "y"}) == [
        "These names are in both go_service_env and go_service_secret_env: ['API_TOKEN']; keep each in one of them."]
    assert problems(health_checks=[]) == [
        "go_service_health_checks needs at least one check, each with a 'url' (http:// or https:// with a host) or "
        "a 'tcp' (host:port); got []."]
    assert problems(cpu_quota="1.5", capabilities=["net_admin"]) == [
        "Limits in systemd's syntax: go_service_memory_max like 512M, 2G, 1073741824 or 50% (got '512M'), "
        "go_service_cpu_quota like 150% (got '1.5'), go_service_capabilities names like CAP_NET_BIND_SERVICE "
        "(got ['net_admin'])."]


@pytest.mark.parametrize("checks", [
    [{"url": "ftp://x/"}], [{"url": "http:///path"}], [{"command": ["true"]}], [{"url": 8080}], ["http://x/"],
    "http://x/"])
def test_checks_without_a_usable_url_or_tcp(checks):
    assert len(problems(health_checks=checks)) == 1


def test_several_problems_are_all_named():
    assert len(problems(name="", version="", health_checks=[], capabilities=["x"])) == 5


def test_values_that_cannot_be_read_fail_naming_them():
    with pytest.raises(AnsibleFilterError, match="memory limit 'lots'"):
        problems(memory_max="lots")
    with pytest.raises(AnsibleFilterError, match="fraction"):
        problems(gomemlimit_fraction=2)
    with pytest.raises(AnsibleFilterError, match="to_env"):
        problems(env={"BAD NAME": "x"})
    with pytest.raises(AnsibleFilterError, match="mapping"):
        service_problems(["hello"])
    with pytest.raises(AnsibleFilterError, match="mappings"):
        problems(env=["PORT=1"])


def test_registered():
    assert FilterModule().filters()["service_problems"] is service_problems
