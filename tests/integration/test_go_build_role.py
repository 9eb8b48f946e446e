"""The go_build role over a mixed fleet: one build per architecture, once per run."""

from __future__ import annotations

import json
import os

from conftest import ROOT, playbook

PLAY = """
- name: Build for a mixed fleet
  hosts: fleet
  gather_facts: false
  tasks:
    - name: Build
      ansible.builtin.import_role:
        name: gopherops.baremetal.go_build
    - name: Record the artifacts
      ansible.builtin.copy:
        content: "{{ go_build_artifacts | to_json }}"
        dest: "{{ result_file }}"
        mode: "0644"
      delegate_to: localhost
      run_once: true
"""


def run_play(tmp_path, hosts):
    inventory = {"fleet": {"hosts": {name: dict(ansible_connection="local", **hostvars)
                                     for name, hostvars in hosts.items()}}}
    (tmp_path / "inv.json").write_text(json.dumps(inventory))
    (tmp_path / "play.yml").write_text(PLAY)
    extra = {"go_build_src": os.path.join(ROOT, "examples", "hello"), "go_build_name": "hello",
             "go_build_output_dir": str(tmp_path / "dist"), "result_file": str(tmp_path / "result.json"),
             "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    return playbook(str(tmp_path / "play.yml"), extra_vars=extra, inventory=str(tmp_path / "inv.json"))


def test_one_build_per_architecture(tmp_path):
    hosts = {"h1": {"ansible_architecture": "x86_64"}, "h2": {"ansible_architecture": "aarch64"},
             "h3": {"ansible_architecture": "aarch64"}, "h4": {"ansible_architecture": "armv7l"},
             "h5": {"ansible_architecture": "x86_64"}}
    proc = run_play(tmp_path, hosts)
    assert proc.rc == 0, proc.out[-3000:]
    artifacts = json.loads((tmp_path / "result.json").read_text())
    assert sorted(artifacts) == ["linux_amd64", "linux_arm64", "linux_arm_7"]
    assert artifacts["linux_arm_7"]["goarm"] == "7"
    with open(artifacts["linux_arm_7"]["path"], "rb") as fh:
        assert int.from_bytes(fh.read(20)[18:20], "little") == 40   # EM_ARM
    # the module ran once for the whole play, not once per host
    section = proc.out.split("Build the artifacts on the controller]", 1)[1].split("TASK [", 1)[0]
    assert section.count("changed: [") + section.count("ok: [") == 1, section


def test_a_host_without_facts_is_named(tmp_path):
    proc = run_play(tmp_path, {"h1": {"ansible_architecture": "x86_64"}, "nofacts": {}})
    assert proc.rc != 0
    assert "these hosts have no gathered ansible_architecture: nofacts" in proc.out
    assert not (tmp_path / "dist").exists()
