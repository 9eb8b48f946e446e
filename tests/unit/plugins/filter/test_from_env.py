from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.from_env import FilterModule, from_env
from ansible_collections.gopherops.baremetal.plugins.filter.to_env import to_env

from envfile_cases import CASES, ROUND_TRIP  # pylint: disable=import-error


@pytest.mark.parametrize("text, expected", CASES)
def test_systemd_rules(text, expected):
    assert from_env(text) == expected


@pytest.mark.parametrize("value", ROUND_TRIP)
def test_round_trip(value):
    assert from_env(to_env({"V": value, "W": "x"})) == {"V": value, "W": "x"}


def test_bytes_and_bad_input():
    assert from_env(b"A=1\n") == {"A": "1"}
    with pytest.raises(AnsibleFilterError, match="expected the file content"):
        from_env({"A": 1})


def test_registered():
    assert FilterModule().filters()["from_env"] is from_env
