"""The README's five-minute tour, command by command, as a reader would type it on the lab."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest

from conftest import INVENTORY, ROOT, Run, get_json

DEFAULT_INVENTORY = os.path.join(ROOT, "inventories", "lab")
DEFAULT_LB_PORT = "18113"


def tour_commands():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    block = re.search(r"<!-- tour:.*?-->\s*```sh\n(.*?)```\s*<!-- end tour -->", text, re.S)
    assert block, "README.md has no tour block"
    return [re.sub(r"\s+#.*$", "", line).strip() for line in block.group(1).splitlines() if line.strip()]


def test_every_tour_command_runs_and_does_what_it_says(lab):
    if INVENTORY != DEFAULT_INVENTORY or lab["name"] != "gopherops-lab":
        pytest.skip("the tour addresses the default lab (inventories/lab); LAB_INVENTORY points elsewhere")
    lb_port = str(next(iter(lab["lb"].values()))["http"])
    commands = tour_commands()
    assert len(commands) == 9, commands   # the expectations below follow the README line by line
    script = []
    for i, cmd in enumerate(commands):
        script.append("echo '@@step %d'; %s; echo \"@@rc $?\"" % (i, cmd.replace(DEFAULT_LB_PORT, lb_port)))
    env = dict(os.environ, ANSIBLE_NOCOLOR="1")
    env.pop("ANSIBLE_CONFIG", None)   # the tour relies on the repository's ansible.cfg, found in the cwd
    proc = subprocess.run(["bash", "-c", "\n".join(script)], cwd=ROOT, env=env, stdin=subprocess.DEVNULL, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1500, check=False)
    Run(proc.returncode, proc.stdout)
    steps = {}
    for part in proc.stdout.split("@@step ")[1:]:
        num, rest = part.split("\n", 1)
        out, rc = rest.rsplit("@@rc ", 1)
        steps[int(num)] = (int(rc.strip()), out)
    assert sorted(steps) == list(range(9)), proc.stdout[-4000:]
    for i, (rc, out) in steps.items():
        assert rc == 0, "tour step %d (%s) exited %d:\n%s" % (i, commands[i], rc, out[-3000:])
    apps = sorted(lab["hosts"])
    plan, deploy = steps[2][1], steps[3][1]
    assert all(re.search(r"\b%s\b.*\s1\.1\.0-(unbuilt|[0-9a-f]{8})\b" % h, plan) for h in apps), plan[-3000:]
    assert '"version":"1.1.0"' in steps[4][1].replace(" ", ""), steps[4][1]
    assert all(re.search(r"%s\s+running.*-> 1\.1\.0" % h, steps[5][1]) for h in apps), steps[5][1]
    audit = json.loads(steps[6][1].strip().splitlines()[-1])
    assert audit["version"] == "1.1.0" and audit["result"] == "ok", audit
    assert audit["hosts"] == {h: "deployed" for h in apps}, audit
    recap = Run(0, deploy).recap
    assert all(recap[h]["changed"] > 0 for h in apps), deploy[-3000:]
    assert '"version":"1.0.0"' in steps[8][1].replace(" ", ""), steps[8][1]
    for host in apps:
        assert get_json(lab["hosts"][host])["version"] == "1.0.0"
