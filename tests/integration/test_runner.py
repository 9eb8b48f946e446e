"""The deploy as AWX runs it: ansible-runner with a private data dir, at -vvv. It rolls out a new
version, and the lab's API token is in no file the run leaves behind."""

from __future__ import annotations

import base64
import hashlib
import json
import os

import ansible_runner
import pytest

from conftest import INVENTORY, ROOT, get_json, playbook

VERSION = "1.0.7-runner"


def secret_forms(token):
    """The token as bytes, and as it reads inside any base64 text whatever its offset there (the
    first and last four characters mix with the bytes around it, so they are left out)."""
    raw = token.encode()
    return [raw] + [base64.b64encode(b"\0" * n + raw)[4:-4] for n in range(3)]


@pytest.fixture
def default_version_after(lab):
    yield
    run = playbook("deploy.yml")
    assert run.rc == 0, run.out[-4000:]
    assert all(get_json(port)["version"] == "1.0.0" for port in lab["hosts"].values())


def test_runner_deploys_and_keeps_the_secret_out_of_its_artifacts(lab, tmp_path, default_version_after):
    # Given a private data dir as AWX would write it. The inventory is passed by path: a symlink
    # inside the data dir would move inventory_dir, which the lab's group_vars build paths from.
    data = tmp_path / "runner"
    (data / "project").mkdir(parents=True)
    (data / "env").mkdir()
    (data / "project" / "deploy.yml").write_text(
        "- name: The collection's deploy\n  ansible.builtin.import_playbook: %s\n"
        % json.dumps(os.path.join(ROOT, "playbooks", "deploy.yml")))
    (data / "env" / "envvars").write_text(json.dumps(
        {"ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"}))
    (data / "env" / "extravars").write_text(json.dumps({"app_version": VERSION}))

    # When runner runs the deploy at -vvv
    result = ansible_runner.run(private_data_dir=str(data), playbook="deploy.yml", inventory=INVENTORY,
                                verbosity=3, quiet=True)

    # Then it succeeds and every app host changed and serves the new version
    with open(os.path.join(result.config.artifact_dir, "stdout"), encoding="utf-8") as fh:
        tail = fh.read()[-4000:]
    assert (result.status, result.rc) == ("successful", 0), tail
    assert not result.stats["failures"] and not result.stats["dark"], result.stats
    assert set(lab["hosts"]) <= set(result.stats["changed"]), result.stats
    for port in lab["hosts"].values():
        assert get_json(port)["version"] == VERSION

    # the events record the release being deployed on each app host
    events = list(result.events)
    deployed = {e["event_data"].get("host") for e in events
                if e["event"] == "runner_on_ok" and "Deploy the release" in e["event_data"].get("task", "")}
    assert deployed == set(lab["hosts"]), deployed

    # and the service holds the lab's token, while no file of the run contains it, plain or base64
    with open(os.path.join(lab["state_dir"], "api_token"), encoding="utf-8") as fh:
        token = fh.read().split()[0]
    prefix = hashlib.sha256(token.encode()).hexdigest()[:8]
    assert all(get_json(port)["api_token_sha256_prefix"] == prefix for port in lab["hosts"].values())
    forms = secret_forms(token)
    scanned, leaks = 0, []
    for dirpath, _dirs, names in os.walk(data):
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, "rb") as fh:
                content = fh.read()
            scanned += 1
            leaks += [path for form in forms if form in content]
    assert scanned > len(events), scanned      # the job events, and stdout, command, fact cache...
    assert not leaks, leaks
