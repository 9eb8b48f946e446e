from __future__ import annotations

import os

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils import fileutil
from ansible_collections.gopherops.baremetal.plugins.module_utils import gobuild as gb


def write(root, rel, text="package main\n"):
    path = os.path.join(str(root), rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)
    return path


@pytest.fixture
def module(tmp_path):
    write(tmp_path, "go.mod", "module example.com/m\n\ngo 1.22\n")
    write(tmp_path, "go.sum", "")
    write(tmp_path, "main.go")
    write(tmp_path, "cmd/tool/main.go")
    write(tmp_path, "internal/x/x.go", "package x\n")
    return tmp_path


def test_module_root_is_found_from_a_sub_package(module):
    assert gb.find_module_root(str(module / "cmd" / "tool")) == (str(module), "./cmd/tool")
    assert gb.find_module_root(str(module)) == (str(module), ".")


def test_no_module_root(tmp_path):
    with pytest.raises(gb.GoBuildError, match="no go.mod"):
        gb.find_module_root(str(tmp_path))
    with pytest.raises(gb.GoBuildError, match="not a directory"):
        gb.find_module_root(str(tmp_path / "missing"))


@pytest.mark.parametrize("raw, name", [
    ({"goos": "linux", "goarch": "amd64"}, "linux_amd64"),
    ({"goos": "linux", "goarch": "arm", "goarm": 7}, "linux_arm_7"),
    ({"goos": "linux", "goarch": "amd64", "goamd64": "v3"}, "linux_amd64_v3"),
    ({"goos": "linux", "goarch": "arm64", "name": "ignored"}, "linux_arm64"),
    ({"goos": "linux", "goarch": "amd64", "goarm": ""}, "linux_amd64"),
])
def test_targets_are_named(raw, name):
    assert gb.normalize_target(raw)["name"] == name


@pytest.mark.parametrize("raw, message", [
    ({"goos": "linux"}, "goarch is missing"),
    ({"goos": "Linux!", "goarch": "amd64"}, "goos is missing or not a Go name"),
    ({"goos": "linux", "goarch": "amd64", "goarm": "7"}, "goarm=7 needs goarch=arm"),
    ({"goos": "linux", "goarch": "arm", "goarm": "8"}, "goarm=8 needs goarch=arm and one of 5, 6, 7"),
    ({"goos": "linux", "goarch": "arm64", "goamd64": "v2"}, "goamd64=v2 needs goarch=amd64"),
    ({"goos": "linux", "goarch": "amd64", "cpu": "x"}, "unknown key(s) cpu"),
    ("linux/amd64", "must be a dict"),
])
def test_bad_targets(raw, message):
    with pytest.raises(gb.GoBuildError) as err:
        gb.normalize_target(raw, 2)
    assert message in str(err.value) and "targets[2]" in str(err.value)


def test_duplicate_targets_build_once_and_empty_is_refused():
    targets = gb.normalize_targets([{"goos": "linux", "goarch": "amd64"}, {"goarch": "amd64", "goos": "linux"}])
    assert [t["name"] for t in targets] == ["linux_amd64"]
    with pytest.raises(gb.GoBuildError, match="targets is empty"):
        gb.normalize_targets([])


def test_ldflags():
    stamps = {"version": "1.2.3", "commit": "abc", "date": "2026-01-01T00:00:00Z"}
    flags = gb.compose_ldflags(stamps, {"version": "main.version", "commit": "main.commit", "date": ""}, "-extldflags=-static")
    assert flags == "-s -w -X main.version=1.2.3 -X main.commit=abc -extldflags=-static"
    assert gb.compose_ldflags(stamps, {}, strip=False) == ""
    with pytest.raises(gb.GoBuildError, match="white space"):
        gb.compose_ldflags({"version": "1 2"}, {"version": "main.version"})


def test_env_for_a_target():
    env = gb.build_env({"goos": "linux", "goarch": "arm", "goarm": "7"}, False, {"GOPROXY": "off"},
                       base={"PATH": "/bin", "GOAMD64": "v3", "GOARM": "6"})
    assert env["CGO_ENABLED"] == "0" and env["GOPROXY"] == "off" and env["PATH"] == "/bin"
    assert (env["GOOS"], env["GOARCH"], env["GOARM"]) == ("linux", "arm", "7")
    assert "GOAMD64" not in env  # the caller's value must not leak into another target
    assert gb.build_env({"goos": "linux", "goarch": "amd64"}, True, {}, base={})["CGO_ENABLED"] == "1"


def test_command():
    cmd = gb.build_command("go", "./cmd/x", "/out/x", "-s -w", flags=["-v"], tags=["a", "b"], gcflags="all=-N")
    assert cmd == ["go", "build", "-trimpath", "-buildvcs=false", "-tags", "a,b", "-gcflags", "all=-N",
                   "-ldflags", "-s -w", "-v", "-o", "/out/x", "./cmd/x"]
    cmd = gb.build_command("go", ".", "o", "", flags=["-buildvcs=true"], trimpath=False)
    assert "-trimpath" not in cmd and "-buildvcs=false" not in cmd


def test_source_files_skip_tests_hidden_testdata_and_nested_modules(module):
    write(module, "main_test.go")
    write(module, ".hidden/a.go")
    write(module, "_skip/a.go")
    write(module, "testdata/a.go")
    write(module, "nested/go.mod", "module example.com/n\n")
    write(module, "nested/a.go")
    write(module, "vendor/modules.txt", "")
    write(module, "static/index.html", "<p>embedded</p>")
    files = gb.iter_source_files(str(module), include_vendor=False)
    assert files == ["cmd/tool/main.go", "go.mod", "go.sum", "internal/x/x.go", "main.go", "static/index.html"]
    assert "vendor/modules.txt" in gb.iter_source_files(str(module), include_vendor=True)


def test_source_digest_follows_content_and_names(module):
    first = gb.source_digest(str(module))
    write(module, "main_test.go", "package main // tests do not change the binary\n")
    assert gb.source_digest(str(module)) == first
    write(module, "main.go", "package main\n\nfunc main() {}\n")
    second = gb.source_digest(str(module))
    assert second != first
    os.rename(str(module / "internal/x/x.go"), str(module / "internal/x/y.go"))
    assert gb.source_digest(str(module)) != second


def test_input_digest_follows_what_changes_the_output():
    target = {"goos": "linux", "goarch": "amd64", "name": "linux_amd64"}
    base = gb.input_digest("s", "go1.27", target, ["go", "build", "."], {"PATH": "/a"})
    assert gb.input_digest("s", "go1.27", target, ["go", "build", "."], {"PATH": "/b", "HOME": "/x"}) == base
    assert gb.input_digest("s", "go1.27", target, ["go", "build", "."], {"GOFLAGS": "-mod=vendor"}) != base
    assert gb.input_digest("s", "go1.27.1", target, ["go", "build", "."], {}) != base
    assert gb.input_digest("t", "go1.27", target, ["go", "build", "."], {}) != base
    assert gb.input_digest("s", "go1.27", dict(target, goarch="arm64"), ["go", "build", "."], {}) != base
    assert gb.input_digest("s", "go1.27", target, ["go", "build", "-race", "."], {}) != base
    # the toolchain's own path is not an input: another checkout of the same Go gives the same digest
    assert gb.input_digest("s", "go1.27", target, ["/other/go", "build", "."], {}) == base


def test_build_info():
    text = ("/tmp/x: go1.27.3\n\tpath\texample.com/hello\n\tmod\texample.com/hello\t(devel)\t\n"
            "\tdep\tgolang.org/x/text\tv0.3.0\th1:abc=\n\tbuild\t-trimpath=true\n\tbuild\tGOARCH=arm64\n")
    info = gb.parse_build_info(text)
    assert info["go"] == "go1.27.3" and info["path"] == "example.com/hello"
    assert info["settings"] == {"-trimpath": "true", "GOARCH": "arm64"}
    assert info["deps"] == ["golang.org/x/text v0.3.0 h1:abc="]
    assert gb.parse_build_info("")["go"] == ""


def test_checksums_and_atomic_write(tmp_path):
    text = gb.checksums_text([{"path": "/d/b_linux_arm64", "sha256": "22"}, {"path": "/d/b_linux_amd64", "sha256": "11"}])
    assert text == "11  b_linux_amd64\n22  b_linux_arm64\n"
    target = str(tmp_path / "f")
    fileutil.atomic_write(target, b"one", 0o600)
    fileutil.atomic_write(target, b"two")
    with open(target, "rb") as fh:
        assert fh.read() == b"two"
    assert os.listdir(str(tmp_path)) == ["f"]


def test_trim_output():
    assert gb.trim_output("  short \n") == "short"
    long = "x" * 50 + "END"
    assert gb.trim_output(long, limit=10) == "...(43 characters cut)...\nxxxxxxxEND"


def test_run_reports_a_missing_program():
    rc, _out, err = gb.run(["/nonexistent/go", "version"])
    assert rc == 127 and "nonexistent" in err


def test_the_output_directory_inside_the_module_is_not_a_source(module):
    write(module, "dist/hello_linux_amd64", "binary")
    files = gb.iter_source_files(str(module), include_vendor=False, exclude=[str(module / "dist")])
    assert not [f for f in files if f.startswith("dist")]
    assert gb.source_digest(str(module), exclude=[str(module / "dist")]) == gb.source_digest(
        str(module), exclude=[str(module / "dist")])


def test_user_env_is_an_input():
    target = {"goos": "linux", "goarch": "amd64", "name": "linux_amd64"}
    base = gb.input_digest("s", "go1", target, ["go"], {}, user_env={"MY_FLAG": "1"})
    assert gb.input_digest("s", "go1", target, ["go"], {}, user_env={"MY_FLAG": "2"}) != base


def test_a_timeout_is_reported():
    rc, _out, err = gb.run(["sleep", "5"], timeout=0.2)
    assert rc == 124 and "did not finish" in err
