from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


@pytest.fixture
def run_module(tmp_path):
    """Run a module of this collection as Ansible does: a Python process reading its arguments from a file."""
    def run(name, check_mode=False, diff=False, **args):
        args.update(_ansible_check_mode=check_mode, _ansible_diff=diff)
        argfile = tmp_path / ("%s-args.json" % name)
        argfile.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        proc = subprocess.run([sys.executable, "-m", "ansible_collections.gopherops.baremetal.plugins.modules." + name,
                               str(argfile)], env=env, text=True, capture_output=True, timeout=120, check=False)
        assert proc.stdout, proc.stderr
        return json.loads(proc.stdout), proc.stdout
    return run
