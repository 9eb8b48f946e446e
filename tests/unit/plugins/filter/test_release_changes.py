from __future__ import annotations

import grp
import hashlib
import json
import os
import pwd

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.release_changes import release_changes
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import render_service_env
from ansible_collections.gopherops.baremetal.plugins.action.deploy_lock import app_state
from ansible_collections.gopherops.baremetal.plugins.plugin_utils.lock_host import observe

RID = "1.0.0-0123abcd"
BINARY = b"\x7fELF pretend binary"
SHA = hashlib.sha256(BINARY).hexdigest()
ENV = {"LISTEN_ADDR": ":8080"}
SECRET = {"TOKEN": "s3cr3t-value"}
UNIT = "[Service]\nExecStart=/opt/hello/current/hello\n"

# the account observe() reports: whoever runs the tests, so no account has to be created
USER = pwd.getpwuid(os.getuid()).pw_name
GROUP = grp.getgrgid(os.getgid()).gr_name


def write(path, data, mode):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)
    os.chown(path, 0, os.getgid() if path.endswith(".env") else 0)


@pytest.fixture
def host(tmp_path):
    """A host that runs RID exactly as systemd_release leaves it."""
    if os.getuid() != 0:
        pytest.skip("the files must be owned by root, as on a host")
    base, conf, units = tmp_path / "opt", tmp_path / "etc", tmp_path / "units"
    write(str(base / "releases" / RID / "hello"), BINARY, 0o755)
    os.symlink(os.path.join("releases", RID), str(base / "current"))
    manifest = {"app": "hello", "active": RID, "previous": None, "last_known_good": RID, "failed": [],
                "releases": {RID: {"sha256": SHA, "created": "2026-01-01T00:00:00Z", "status": "good"}}}
    write(str(base / "releases.json"), json.dumps(manifest), 0o644)
    write(str(conf / "hello.env"), render_service_env(ENV, SECRET), 0o640)
    write(str(units / "hello.service"), UNIT, 0o644)

    def look(**state):
        seen = observe(dict(base_dir=str(base), app="hello", config_dir=str(conf), unit="hello.service",
                            unit_path=str(units / "hello.service"), user=USER, group=GROUP))
        seen.update(active=state.get("active", True), enabled=state.get("enabled", True), running=state.get("running"))
        return app_state("hello", seen)["observed"]
    look.base, look.conf, look.units = base, conf, units
    return look


def judge(seen, env=None, secret=None, unit=UNIT, rid=RID, sha=SHA):
    return release_changes(seen, rid, sha, env=ENV if env is None else env, secret_env=SECRET if secret is None else secret,
                           unit=unit)


def test_a_host_that_runs_the_release_needs_nothing(host):
    seen = host()
    assert seen["current"] == RID and seen["binaries"] == {RID: SHA}
    assert SECRET["TOKEN"] not in json.dumps(seen)
    assert judge(seen) == []


def test_each_difference_is_named(host):
    assert judge(host(), env={"LISTEN_ADDR": ":9090"}) == ["env_changed", "restarted"]
    assert judge(host(), secret={"TOKEN": "rotated"}) == ["env_changed", "restarted"]
    assert judge(host(), unit=UNIT + "Restart=always\n") == ["unit_changed", "restarted"]
    assert judge(host(active=False)) == ["restarted"]
    assert judge(host(enabled=False)) == ["enabled"]
    # current names the release, but the process still runs the one before (switched, never restarted)
    assert judge(host(running="0.9.0-00aa11bb")) == ["restarted"]
    assert judge(host(running=RID)) == []
    other = hashlib.sha256(b"v2").hexdigest()
    assert judge(host(), rid="2.0.0-" + other[:8], sha=other) == ["uploaded", "switched", "restarted"]


def test_modes_and_owners_count(host):
    os.chmod(str(host.conf / "hello.env"), 0o644)
    assert judge(host()) == ["env_changed", "restarted"]
    os.chmod(str(host.conf / "hello.env"), 0o640)
    os.chmod(str(host.units / "hello.service"), 0o600)
    assert judge(host()) == ["unit_changed", "restarted"]


def test_a_release_that_never_passed_its_gate_is_checked_again(host):
    path = str(host.base / "releases.json")
    with open(path) as fh:
        manifest = json.load(fh)
    manifest["last_known_good"] = None
    write(path, json.dumps(manifest), 0o644)
    assert judge(host()) == ["unproven"]


def test_a_damaged_binary_is_sent_again(host):
    write(str(host.base / "releases" / RID / "hello"), b"truncated", 0o755)
    assert judge(host()) == ["uploaded", "restarted"]


def test_an_empty_host_needs_everything():
    assert judge({"uid": None, "gid": None}) == ["uploaded", "switched", "env_changed", "unit_changed", "restarted",
                                                 "account", "enabled"]


def test_bad_input_is_named_without_values():
    with pytest.raises(AnsibleFilterError, match="TOKEN set in both env and secret_env") as err:
        judge({}, env={"TOKEN": "plain"})
    assert "s3cr3t" not in str(err.value)
    with pytest.raises(AnsibleFilterError, match="observed mapping"):
        judge("nope")
