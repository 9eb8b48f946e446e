"""The Galaxy tarball holds the collection and nothing of the development tree."""

from __future__ import annotations

import os
import subprocess
import tarfile

from conftest import ROOT


def test_tarball_has_no_tests_lab_or_caches(tmp_path):
    res = subprocess.run(["ansible-galaxy", "collection", "build", "--output-path", str(tmp_path), ROOT],
                         text=True, capture_output=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    (tarball,) = [p for p in os.listdir(tmp_path) if p.endswith(".tar.gz")]
    assert tarball.startswith("gopherops-baremetal-")
    with tarfile.open(tmp_path / tarball) as tar:
        names = tar.getnames()
    tops = {n.split("/", 1)[0] for n in names}
    for unwanted in ("tests", "molecule", "bench", "scripts", ".lab", ".venv", ".build", ".git", ".ci", "Makefile"):
        assert unwanted not in tops, "%s is in the tarball" % unwanted
    assert not [n for n in names if "__pycache__" in n or n.endswith("hosts.yml") and "lab" in n]
    for wanted in ("MANIFEST.json", "FILES.json", "plugins/modules/health_check.py", "plugins/filter/goarch.py",
                   "roles/go_service/meta/argument_specs.yml", "playbooks/deploy.yml", "meta/runtime.yml",
                   "examples/hello/main.go", "LICENSE", "README.md"):
        assert wanted in names, "%s is missing from the tarball" % wanted
