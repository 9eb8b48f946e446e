"""Helpers for the end-to-end suites: they run the real playbooks against the lab hosts
(started by `make lab-up`) and look at the hosts through their loopback ports."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# LAB_INVENTORY (the hosts.yml that `lab.py up` writes) points the suites at another lab; its
# directory needs the lab's group_vars beside it.
INVENTORY = (os.path.dirname(os.path.abspath(os.environ["LAB_INVENTORY"])) if os.environ.get("LAB_INVENTORY")
             else os.path.join(ROOT, "inventories", "lab"))
RECAP = re.compile(r"^(\S+)\s+:\s+(ok=\d+.*)$", re.M)


class Run:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.recap = {m.group(1): {k: int(v) for k, v in (kv.split("=") for kv in m.group(2).split())}
                      for m in RECAP.finditer(proc.stdout)}

    def changed(self, host):
        return self.recap[host]["changed"]


def playbook(name, *args, extra_vars=None, env=None, inventory=INVENTORY):
    """Run a playbook of playbooks/ (or any playbook, given an absolute path) and parse its recap."""
    cmd = ["ansible-playbook", os.path.join(ROOT, "playbooks", name), "-i", inventory, *args]
    if extra_vars:
        cmd += ["-e", json.dumps(extra_vars)]
    full_env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    full_env.update(env or {})
    proc = subprocess.run(cmd, cwd=ROOT, env=full_env, stdin=subprocess.DEVNULL, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900, check=False)
    return Run(proc)


def get_json(port, path="/version"):
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open("http://127.0.0.1:%d%s" % (port, path), timeout=5) as resp:
        return json.loads(resp.read().decode())


@pytest.fixture(scope="session")
def lab():
    path = os.path.join(INVENTORY, "hosts.yml")
    if not os.path.exists(path):
        pytest.fail("no lab inventory at %s: run 'make lab-up' (make integration does)" % path)
    with open(path, encoding="utf-8") as fh:
        inv = yaml.safe_load(fh)
    hosts = inv["all"]["children"]["app"]["hosts"]
    lbs = inv["all"]["children"].get("lb", {}).get("hosts", {})
    return {
        "lb": {name: {"http": h["lab_http_port"], "container": h["lab_container"]} for name, h in lbs.items()},
        "name": inv["all"]["vars"]["lab_name"],
        "hosts": {name: h["lab_http_port"] for name, h in hosts.items()},
        "ssh": {name: h["ansible_port"] for name, h in hosts.items()},
        "key": inv["all"]["vars"]["ansible_ssh_private_key_file"],
        "state_dir": os.path.join(ROOT, ".lab", inv["all"]["vars"]["lab_name"]),
    }
