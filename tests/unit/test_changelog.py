"""The changelog builds from the fragments with antsibull-changelog, naming every module and every change."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_release_notes_build_from_the_fragments(tmp_path):
    coll = tmp_path / "ansible_collections" / "gopherops" / "baremetal"
    for part in ("changelogs", "plugins", "roles", "meta", "playbooks"):
        shutil.copytree(os.path.join(ROOT, part), coll / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(os.path.join(ROOT, "galaxy.yml"), coll / "galaxy.yml")
    bindir = os.path.dirname(sys.executable)
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], ANSIBLE_COLLECTIONS_PATH=str(tmp_path))
    env.pop("PYTHONPATH", None)
    res = subprocess.run([os.path.join(bindir, "antsibull-changelog"), "release", "--version", "0.1.0", "--date", "2026-11-23"],
                         cwd=coll, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    notes = (coll / "CHANGELOG.rst").read_text(encoding="utf-8")
    assert "v0.1.0" in notes and "Release Summary" in notes
    modules = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))
                     if not p.endswith("__init__.py"))
    for module in modules:
        assert "- gopherops.baremetal.%s - " % module in notes, module
    flat = " ".join(notes.split())
    for fragment in glob.glob(os.path.join(ROOT, "changelogs", "fragments", "*.yml")):
        with open(fragment, encoding="utf-8") as fh:
            for section, items in yaml.safe_load(fh).items():
                for item in [items] if isinstance(items, str) else items:
                    assert " ".join(item.split())[:60] in flat, (fragment, section, item[:60])
