"""The fleet-wide judgement of a rollout (release_digest in each host's lock task, release_plan once
on the controller) against the per-host filter release_changes, and its per-host problems."""

from __future__ import annotations

import hashlib

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.gopherops.baremetal.plugins.filter.release_changes import release_changes
from ansible_collections.gopherops.baremetal.plugins.filter.release_digest import FilterModule as DigestFilters
from ansible_collections.gopherops.baremetal.plugins.filter.release_digest import release_digest
from ansible_collections.gopherops.baremetal.plugins.filter.release_plan import FilterModule as PlanFilters
from ansible_collections.gopherops.baremetal.plugins.filter.release_plan import release_plan
from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import render_service_env

SHA = hashlib.sha256(b"binary v2").hexdigest()
ARTIFACTS = {"linux_amd64": {"path": "/b/hello-amd64", "sha256": SHA},
             "linux_arm64": {"path": "/b/hello-arm64", "sha256": "c" * 64}}
ENV = {"LISTEN_ADDR": ":8080"}
SECRET = {"TOKEN": "s3cr3t-value"}
UNIT = "[Service]\nExecStart=/opt/hello/current/hello\n"
RID = "2.0.0-" + SHA[:8]


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def running(rid=RID, env=None, unit=UNIT):
    """app_state.observed of a host that runs rid exactly as systemd_release leaves it."""
    env_text = render_service_env(ENV if env is None else env, SECRET)
    return {"current": rid, "binaries": {rid: SHA}, "active": True, "enabled": True, "running": rid,
            "last_known_good": rid, "uid": 999, "gid": 999,
            "env": {"sha256": sha(env_text), "mode": "0640", "uid": 0, "gid": 999},
            "unit": {"sha256": sha(unit), "mode": "0644", "uid": 0, "gid": 0}}


def lock(observed, arch="x86_64", target="", version="2.0.0", env=None, unit=UNIT):
    plan = dict(version=version, target=target, **release_digest(ENV if env is None else env, SECRET, unit))
    return {"acquired": True, "plan": plan, "app_state": {"observed": observed},
            "ansible_facts": {"ansible_architecture": arch}}


def test_the_digest_hashes_the_files_and_never_carries_a_secret():
    digest = release_digest(ENV, SECRET, UNIT)
    assert digest == {"env_sha256": sha(render_service_env(ENV, SECRET)), "unit_sha256": sha(UNIT)}
    assert "s3cr3t" not in repr(digest)


def test_a_host_that_runs_the_release_needs_nothing():
    out = release_plan(lock(running()), ARTIFACTS, host="app1")
    assert out == {"artifact": ARTIFACTS["linux_amd64"], "release": RID, "changes": []}


@pytest.mark.parametrize("observed, env, unit", [
    (running(rid="1.0.0-aaaaaaaa"), None, UNIT),            # an older release
    (running(), {"LISTEN_ADDR": ":9090"}, UNIT),            # the environment changed
    (running(), None, UNIT + "Restart=always\n"),           # the unit changed
    (dict(running(), enabled=False), None, UNIT),           # not enabled
    ({"uid": None, "gid": None}, None, UNIT),               # a new host
])
def test_the_fleet_judgement_agrees_with_release_changes(observed, env, unit):
    out = release_plan(lock(observed, env=env, unit=unit), ARTIFACTS, host="app1")
    assert out["changes"] == release_changes(observed, RID, SHA, env=ENV if env is None else env,
                                             secret_env=SECRET, unit=unit)
    assert out["changes"] != []


def test_the_target_wins_over_the_architecture():
    out = release_plan(lock(running(), target="linux_arm64"), ARTIFACTS, host="app1")
    assert out["artifact"] == ARTIFACTS["linux_arm64"] and out["release"] == "2.0.0-cccccccc"
    assert release_plan(lock(running(), arch="aarch64"), ARTIFACTS)["release"] == "2.0.0-cccccccc"


def test_a_host_without_an_artifact_gets_a_problem_naming_it():
    out = release_plan(lock(running(), arch="armv7l"), ARTIFACTS, host="app3")
    assert out == {"problem": "app3: No artifact for linux_arm_7 (app3 is armv7l) in go_service_artifacts "
                              "(has: linux_amd64, linux_arm64). Build for this target with the go_build role first."}


def test_a_lock_without_a_plan_is_a_problem_not_an_error():
    out = release_plan({"acquired": True, "app_state": {"observed": running()}}, ARTIFACTS, host="app2")
    assert set(out) == {"problem"} and out["problem"].startswith("app2: ")


def test_bad_input():
    with pytest.raises(AnsibleFilterError, match="registered result of deploy_lock"):
        release_plan("nope", ARTIFACTS)
    with pytest.raises(AnsibleFilterError, match="TOKEN set in both env and secret_env"):
        release_digest({"TOKEN": "x"}, SECRET, UNIT)
    with pytest.raises(AnsibleFilterError, match="'unit'"):
        release_digest(ENV, SECRET)


def test_the_filters_are_registered():
    assert DigestFilters().filters()["release_digest"] is release_digest
    assert PlanFilters().filters()["release_plan"] is release_plan
