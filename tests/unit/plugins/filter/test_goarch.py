from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.goarch import FilterModule, goarch


@pytest.mark.parametrize("machine, expected", [
    ("x86_64", {"goos": "linux", "goarch": "amd64", "name": "linux_amd64"}),
    ("aarch64", {"goos": "linux", "goarch": "arm64", "name": "linux_arm64"}),
    ("armv7l", {"goos": "linux", "goarch": "arm", "goarm": "7", "name": "linux_arm_7"}),
    ("armv6l", {"goos": "linux", "goarch": "arm", "goarm": "6", "name": "linux_arm_6"}),
    ("i686", {"goos": "linux", "goarch": "386", "name": "linux_386"}),
    ("ppc64le", {"goos": "linux", "goarch": "ppc64le", "name": "linux_ppc64le"}),
    ("riscv64", {"goos": "linux", "goarch": "riscv64", "name": "linux_riscv64"}),
    (" X86_64 ", {"goos": "linux", "goarch": "amd64", "name": "linux_amd64"}),
])
def test_known_machines(machine, expected):
    assert goarch(machine) == expected


def test_other_goos():
    assert goarch("aarch64", goos="freebsd") == {"goos": "freebsd", "goarch": "arm64", "name": "freebsd_arm64"}


@pytest.mark.parametrize("machine", ["", None, 42, "sparc64", "x86"])
def test_unknown_or_missing_machine_names_the_input(machine):
    with pytest.raises(AnsibleFilterError) as err:
        goarch(machine)
    assert "goarch" in str(err.value)
    assert repr(machine) in str(err.value)


def test_unknown_goos():
    with pytest.raises(AnsibleFilterError, match="unknown goos 'plan10'"):
        goarch("x86_64", goos="plan10")


def test_registered():
    assert FilterModule().filters()["goarch"] is goarch
