"""What each worker that ansible-playbook forks (one per host and task) has to import by itself.

- The app plays of deploy.yml and monitoring.yml load the collection's filter plugins in the main
  process, through their `hosts:` line, so that a worker that templates one of them does not load
  them all again. Checked with the real `hosts:` lines, on the controller alone (connection local):
  at each fork of the play's tasks, the filter modules are already imported in the main process.
  The same play with a plain `hosts:` line shows that the check can tell the difference.
- The systemd_release action plugin does not import ansible.module_utils.urls (through the health
  checks) unless it probes from the controller.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
PYTHON = sys.executable
# another filter than the one the hosts: lines name: asking for one loads them all
FILTER_MODULE = "ansible_collections.gopherops.baremetal.plugins.filter.text_table"

# runs ansible-playbook in this process, noting at each fork whether the filter module is imported
WRAPPER = """
import json, sys
from ansible.executor.process import worker
seen = []
_start = worker.WorkerProcess.start
def start(self):
    seen.append([self._host.name, self._task.get_name(), %(module)r in sys.modules])
    return _start(self)
worker.WorkerProcess.start = start
from ansible.cli.playbook import PlaybookCLI
try:
    rc = PlaybookCLI(["ansible-playbook"] + sys.argv[1:]).run()
finally:
    with open(%(out)r, "w") as fh:
        json.dump(seen, fh)
sys.exit(rc)
"""


def hosts_line(playbook):
    """The `hosts:` of the playbook's play named Plan (deploy.yml: the first on every app host), else
    of its first play that is not on localhost."""
    with open(os.path.join(ROOT, "playbooks", playbook), encoding="utf-8") as fh:
        plays = yaml.safe_load(fh)
    named = [p["hosts"] for p in plays if p.get("name") == "Plan"]
    return named[0] if named else next(p["hosts"] for p in plays if p["hosts"] != "localhost")


def forks(tmp_path, hosts):
    """[(host, task, filters loaded)] for each fork of a play on two local hosts whose tasks template
    one of the collection's filters."""
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"ansible_connection": "local", "ansible_python_interpreter": PYTHON},
        "children": {"app": {"hosts": {"h1": {}, "h2": {}}}}}}))
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "App", "hosts": hosts, "gather_facts": False,
        "tasks": [{"name": "Template a filter of the collection",
                   "ansible.builtin.set_fact": {"x": "{{ [] | gopherops.baremetal.text_table(['a']) }}"}}]}]))
    out = tmp_path / "forks.json"
    script = tmp_path / "wrapper.py"
    script.write_text(WRAPPER % {"module": FILTER_MODULE, "out": str(out)})
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0")
    proc = subprocess.run([PYTHON, str(script), "-i", str(inventory), str(playbook)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return [tuple(x) for x in json.loads(out.read_text())]


@pytest.mark.parametrize("playbook", ["deploy.yml", "monitoring.yml"])
def test_the_app_play_loads_the_filters_before_its_first_fork(tmp_path, playbook):
    seen = forks(tmp_path, hosts_line(playbook))
    assert sorted(h for h, _t, _l in seen) == ["h1", "h2"], seen
    assert all(loaded for _h, _t, loaded in seen), seen


def test_without_it_each_worker_loads_the_filters_itself(tmp_path):
    seen = forks(tmp_path, "app")
    assert sorted(h for h, _t, _l in seen) == ["h1", "h2"], seen
    assert not any(loaded for _h, _t, loaded in seen), seen


def test_the_hosts_line_still_picks_deploy_hosts(tmp_path):
    inventory = tmp_path / "hosts.yml"
    groups = {"app": {"hosts": {"h1": {}, "h2": {}}}, "other": {"hosts": {"h3": {}}}}
    inventory.write_text(yaml.safe_dump({"all": {"children": groups}}))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_FORCE_COLOR="0")
    for extra, want in ((["-e", "deploy_hosts=other"], "h3"), ([], "h1")):
        proc = subprocess.run([os.path.join(os.path.dirname(PYTHON), "ansible-playbook"), "playbooks/deploy.yml",
                               "--list-hosts", "-i", str(inventory)] + extra,
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        plan = proc.stdout.split("Plan", 1)[1].split("play #", 1)[0]
        assert want in plan, proc.stdout


def test_the_systemd_release_action_does_not_import_urls():
    code = ("import sys\n"
            "import ansible_collections.gopherops.baremetal.plugins.action.systemd_release\n"
            "print('ansible.module_utils.urls' in sys.modules)")
    proc = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=120, check=True,
                          env=dict(os.environ))
    assert proc.stdout.strip() == "False", proc.stdout + proc.stderr
