"""go_container's artifact.yml, run by ansible-playbook on the controller alone (connection local, no
host contacted): the target the host runs is noted when there is an artifact, or an image archive,
for it; otherwise the host fails with a message that names what there is."""

from __future__ import annotations

import json
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
    go_container_artifacts: {linux_amd64: {path: /nowhere/hello, sha256: "%(sha)s"}}
    go_container_image_archive: %(archive)s
  tasks:
    - name: Pick
      ansible.builtin.include_role:
        name: gopherops.baremetal.go_container
        tasks_from: artifact
    - name: Show
      ansible.builtin.debug:
        msg: "target {{ _go_container_want }}"
"""


def run(tmp_path, arch, archive=""):
    book = tmp_path / "pick.yml"
    book.write_text(PLAYBOOK % {"arch": arch, "sha": "0" * 64, "archive": json.dumps(archive)}, encoding="utf-8")
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, ".build", "collections"))
    res = subprocess.run(["ansible-playbook", "-i", "localhost,", str(book)], cwd=ROOT, env=env, text=True,
                         capture_output=True, timeout=120, check=False)
    return res.returncode, res.stdout + res.stderr


@pytest.mark.parametrize("arch,archive,target", [
    ("x86_64", "", "linux_amd64"),                                        # built by go_build
    ("aarch64", "/images/hello.tar", "linux_arm64"),                      # one archive for every host
    ("aarch64", {"linux_arm64": "/images/hello-arm64.tar"}, "linux_arm64"),  # one per target
])
def test_the_target_is_noted_when_there_is_something_to_run(tmp_path, arch, archive, target):
    rc, out = run(tmp_path, arch, archive)
    assert rc == 0, out[-3000:]
    assert "target %s" % target in out, out[-3000:]


@pytest.mark.parametrize("archive,message", [
    ("", "No artifact for linux_arm64 (localhost is aarch64) in go_container_artifacts (has: ['linux_amd64'])."),
    ({"linux_amd64": "/images/hello.tar"},
     "go_container_image_archive has no archive for linux_arm64 (localhost is aarch64; has: ['linux_amd64']). "
     "Add one keyed linux_arm64"),
])
def test_nothing_for_the_architecture_fails_naming_what_there_is(tmp_path, archive, message):
    rc, out = run(tmp_path, "aarch64", archive)
    assert rc != 0, out[-3000:]
    assert message in out, out[-3000:]
    assert "TASK [Show]" not in out
