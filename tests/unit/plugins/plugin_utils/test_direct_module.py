"""The direct module run: the program runs systemd_release in a python3 that cannot import Ansible
(-I -S: no site-packages), as on a host without it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils.systemd_release_spec import ARGUMENT_SPEC, REQUIRED_IF
from ansible_collections.gopherops.baremetal.plugins.plugin_utils import direct_module as dm
from ansible_collections.gopherops.baremetal.plugins.plugin_utils import host_shim

SECRET = "s3cret-token-value"


def args(tmp_path, **more):
    out = dict(name="hello", release_id="1.0.0-abcdef12", version="1.0.0", sha256="a" * 64,
               base_dir=str(tmp_path / "srv"), config_dir=str(tmp_path / "etc"), unit="[Unit]\nDescription=x\n",
               env={"PORT": "8080"}, secret_env={"API_TOKEN": SECRET}, checks=[{"url": "http://127.0.0.1:9/readyz"}])
    out.update(more)
    return out


def run_program(tmp_path, module_args, payload=None, check_mode=True):
    params, secrets, paths = dm.validate(module_args, ARGUMENT_SPEC, required_if=REQUIRED_IF)
    text = dm.program("systemd_release", params, secrets, paths, check_mode, True,
                      payload="staged" if payload else None)
    cmd, data = dm.invocation(sys.executable + " -I -S", text, payload)
    env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"), PATH=os.environ.get("PATH", "/usr/bin:/bin"))
    os.makedirs(env["TMPDIR"], exist_ok=True)
    proc = subprocess.run(cmd, shell=True, input=data, capture_output=True, env=env, check=False)
    lines = [line for line in proc.stdout.decode().splitlines() if line.startswith("{")]
    assert lines, proc.stderr.decode()[-2000:]
    return json.loads(lines[-1])


def test_the_module_runs_without_ansible_and_hides_the_secret(tmp_path):
    res = run_program(tmp_path, args(tmp_path))
    assert not res.get("failed"), res
    assert res["status"] == "pending" and res["changed"] and res["uploaded"] and res["env_changed"]
    assert SECRET not in json.dumps(res)
    assert "API_TOKEN=********" in res["diff"]["after"]
    # defaults and types from the module's own spec, validated on the controller
    assert res["invocation"]["module_args"]["keep_releases"] == 5
    assert res["invocation"]["module_args"]["health_timeout"] == 30.0
    assert not (tmp_path / "srv").exists()   # check mode changes nothing


def test_a_path_option_is_expanded_on_the_host(tmp_path, monkeypatch):
    monkeypatch.setenv("GOPHEROPS_TEST_BASE", str(tmp_path / "from-env"))
    res = run_program(tmp_path, args(tmp_path, base_dir="$GOPHEROPS_TEST_BASE/srv"))
    assert res["invocation"]["module_args"]["base_dir"] == str(tmp_path / "from-env" / "srv")


def test_the_payload_follows_the_program_and_is_removed_after(tmp_path):
    binary = tmp_path / "hello"
    binary.write_bytes(os.urandom(3 << 20))
    res = run_program(tmp_path, args(tmp_path), payload=str(binary))
    staged = res["invocation"]["module_args"]["staged"]
    assert staged.startswith(str(tmp_path / "tmp" / "gopherops-upload-")) and staged.endswith("/release-upload")
    assert os.listdir(tmp_path / "tmp") == []


def test_bad_arguments_fail_on_the_controller_with_the_modules_message():
    with pytest.raises(ValueError, match="missing required arguments: base_dir"):
        dm.validate({"name": "hello"}, ARGUMENT_SPEC, required_if=REQUIRED_IF)
    with pytest.raises(ValueError, match="release_id, sha256, unit"):
        dm.validate({"name": "hello", "base_dir": "/srv/hello"}, ARGUMENT_SPEC, required_if=REQUIRED_IF)
    with pytest.raises(ValueError, match="keep_releases"):
        dm.validate({"name": "hello", "base_dir": "/srv", "state": "rolled_back", "keep_releases": "many"},
                    ARGUMENT_SPEC, required_if=REQUIRED_IF)


def test_the_program_carries_the_arguments_only_on_stdin():
    cmd, data = dm.invocation("/usr/bin/python3", "print(1)\n", env="LANG=C.UTF-8")
    assert cmd == "LANG=C.UTF-8 /usr/bin/python3" and data == b"print(1)\n"


def test_the_module_utils_it_needs_are_found():
    names = set(dm.sources("systemd_release"))
    for util in ("release", "release_files", "envfile", "fileutil", "health"):
        assert "%s.%s" % (dm.UTILS_PACKAGE, util) in names


@pytest.mark.parametrize("value, secrets, expected", [
    ("token=abc", {"abc"}, "token=********"),
    ({"abc": ["x abc y", 3]}, {"abc"}, {"********": ["x ******** y", 3]}),
    ("nothing", set(), "nothing"),
])
def test_the_shim_masks_secrets_as_ansible_does(value, secrets, expected):
    assert host_shim.mask(value, secrets) == expected


def test_the_shims_text_helpers():
    assert host_shim.to_text(b"caf\xc3\xa9") == "caf\u00e9"
    assert host_shim.to_bytes(host_shim.to_text(b"\xff")) == b"\xff"   # surrogates round-trip
    assert host_shim.to_text(5) == "5" and host_shim.to_bytes(None, nonstring="empty") == b""
