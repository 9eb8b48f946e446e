"""go_service's artifact.yml, run by ansible-playbook on the controller alone (connection local, no
host contacted): the artifact for the host's architecture is picked and names the release; a host
with no artifact for its architecture fails with a message that names it and what there is."""

from __future__ import annotations

import os
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

PLAYBOOK = """
- hosts: localhost
  gather_facts: false
  connection: local
  vars:
    ansible_architecture: %(arch)s
    go_service_version: 1.2.3
    go_service_artifacts:
      linux_amd64: {path: /nowhere/hello, sha256: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef}
  tasks:
    - name: Pick
      ansible.builtin.include_role:
        name: gopherops.baremetal.go_service
        tasks_from: artifact
    - name: Show
      ansible.builtin.debug:
        msg: "picked {{ _go_service_release }} from {{ _go_service_artifact.path }}"
"""


def run(tmp_path, arch):
    book = tmp_path / "pick.yml"
    book.write_text(PLAYBOOK % {"arch": arch}, encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    return subprocess.run(["ansible-playbook", "-i", "localhost,", str(book)], cwd=ROOT, env=env, text=True,
                          capture_output=True, timeout=120, check=False)


def test_the_artifact_of_the_hosts_architecture_names_the_release(tmp_path):
    res = run(tmp_path, "x86_64")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "picked 1.2.3-01234567 from /nowhere/hello" in res.stdout, res.stdout[-3000:]


@pytest.mark.parametrize("arch", ["aarch64"])
def test_no_artifact_for_the_architecture_fails_naming_it(tmp_path, arch):
    res = run(tmp_path, arch)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out[-3000:]
    assert ("No artifact for linux_arm64 (localhost is aarch64) in go_service_artifacts (has: linux_amd64). "
            "Build for this target with the go_build role first.") in out, out[-3000:]
    assert "TASK [Show]" not in res.stdout
