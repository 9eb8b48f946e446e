from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.go_runtime_env import FilterModule, go_runtime_env


@pytest.mark.parametrize("memory, cpu, expected", [
    ("512M", "150%", {"GOMEMLIMIT": str(int(512 * 1024 ** 2 * 0.9)), "GOMAXPROCS": "2"}),
    ("1G", "", {"GOMEMLIMIT": str(int(1024 ** 3 * 0.9))}),
    (1073741824, None, {"GOMEMLIMIT": str(int(1024 ** 3 * 0.9))}),
    ("2GiB", "1.5", {"GOMEMLIMIT": str(int(2 * 1024 ** 3 * 0.9)), "GOMAXPROCS": "2"}),
    ("", "50%", {"GOMAXPROCS": "1"}),
    ("infinity", "400%", {"GOMAXPROCS": "4"}),
    ("80%", "200%", {"GOMAXPROCS": "2"}),
    ("", "", {}),
    (None, None, {}),
])
def test_limits(memory, cpu, expected):
    assert go_runtime_env(memory, cpu_quota=cpu) == expected


def test_fraction():
    assert go_runtime_env("1000", fraction=0.5) == {"GOMEMLIMIT": "500"}
    for bad in (0, 1.5, "x"):
        with pytest.raises(AnsibleFilterError, match="fraction"):
            go_runtime_env("1G", fraction=bad)


@pytest.mark.parametrize("memory, cpu, message", [
    ("lots", "", "memory limit 'lots'"),
    ("1G", "fast", "CPU quota 'fast'"),
])
def test_bad_values_are_named(memory, cpu, message):
    with pytest.raises(AnsibleFilterError, match=message):
        go_runtime_env(memory, cpu_quota=cpu)


def test_registered():
    assert FilterModule().filters()["go_runtime_env"] is go_runtime_env
