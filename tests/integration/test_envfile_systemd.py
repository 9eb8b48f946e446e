"""to_env and from_env against systemd itself: each file is loaded by a real unit on a lab host
(EnvironmentFile=, through systemd-run) and the environment the process got is compared with what
the filters say."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import subprocess

from conftest import ROOT

from ansible_collections.gopherops.baremetal.plugins.module_utils.envfile import parse, render

_spec = importlib.util.spec_from_file_location(
    "envfile_cases", os.path.join(ROOT, "tests", "unit", "plugins", "filter", "envfile_cases.py"))
cases = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cases)

# Runs on the host as root: load each file into a transient unit and print what the process saw.
PROBE = r"""
import json, os, subprocess, sys, tempfile
files = json.load(sys.stdin)
out = []
d = tempfile.mkdtemp()
for i, text in enumerate(files):
    path = os.path.join(d, "%d.env" % i)
    with open(path, "w") as fh:
        fh.write(text)
    proc = subprocess.run(["systemd-run", "--quiet", "--wait", "--pipe", "--collect",
                           "-p", "EnvironmentFile=" + path, "/usr/bin/env", "-0"],
                          stdin=subprocess.DEVNULL, capture_output=True, check=True)
    env = dict(item.split("=", 1) for item in proc.stdout.decode().split("\0") if "=" in item)
    out.append(env)
print(json.dumps(out))
"""
OURS = {"A", "B", "E", "GOOD", "V", "W"}


def on_host(lab, files):
    host = sorted(lab["ssh"])[0]
    proc = subprocess.run(
        ["ssh", "-i", lab["key"], "-p", str(lab["ssh"][host]), "-o", "BatchMode=yes",
         "-o", "UserKnownHostsFile=%s" % os.path.join(lab["state_dir"], "known_hosts"),
         "deploy@127.0.0.1", "sudo python3 -c 'import base64; exec(base64.b64decode(\"%s\"))'"
         % base64.b64encode(PROBE.encode()).decode()],
        input=json.dumps(files), text=True, capture_output=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return [{k: v for k, v in env.items() if k in OURS} for env in json.loads(proc.stdout)]


def test_systemd_reads_what_from_env_reads(lab):
    texts = [text for text, _expected in cases.CASES]
    seen = on_host(lab, texts)
    for text, expected, got in zip(texts, (e for _t, e in cases.CASES), seen):
        assert got == expected, "systemd read %r as %r" % (text, got)
        assert parse(text) == got


def test_values_written_by_to_env_reach_the_service_unchanged(lab):
    files = [render({"V": value, "W": "x"}) for value in cases.ROUND_TRIP]
    for value, got in zip(cases.ROUND_TRIP, on_host(lab, files)):
        assert got == {"V": value, "W": "x"}, "systemd read %r as %r" % (value, got)
