"""The release module on a local directory; the upload the action plugin makes is played by a staged file."""

from __future__ import annotations

import hashlib
import json
import os

import pytest


def binary(tmp_path, text):
    path = tmp_path / ("bin-%s" % hashlib.sha1(text.encode()).hexdigest()[:6])
    path.write_text(text)
    return str(path), hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def rel(tmp_path, run_module):
    base = tmp_path / "opt"

    def call(state="active", **kw):
        kw.setdefault("binary_name", "app")
        res, _raw = run_module("release", app="app", base_dir=str(base), state=state, **kw)
        return res
    call.base = base
    return call


def test_upload_protocol_switch_and_idempotence(tmp_path, rel):
    src, sha = binary(tmp_path, "v1")
    first = rel(release_id="1.0.0-a", sha256=sha)
    assert first["needs_upload"] and not (rel.base / "releases").exists()
    res = rel(release_id="1.0.0-a", sha256=sha, staged=src)
    assert res["changed"] and res["uploaded"] and res["switched"] and res["active"] == "1.0.0-a"
    assert os.readlink(str(rel.base / "current")) == "releases/1.0.0-a"
    assert (rel.base / "releases/1.0.0-a/app").read_text() == "v1"
    assert os.stat(str(rel.base / "releases/1.0.0-a/app")).st_mode & 0o777 == 0o755
    again = rel(release_id="1.0.0-a", sha256=sha)
    assert again["changed"] is False and not again.get("needs_upload")
    manifest = json.loads((rel.base / "releases.json").read_text())
    assert manifest["active"] == "1.0.0-a" and manifest["releases"]["1.0.0-a"]["sha256"] == sha


def test_a_damaged_upload_is_refused_and_nothing_switches(tmp_path, rel):
    src, sha = binary(tmp_path, "v1")
    rel(release_id="r1", sha256=sha, staged=src)
    bad, _sha = binary(tmp_path, "truncated")
    _src2, sha2 = binary(tmp_path, "v2")
    res = rel(release_id="r2", sha256=sha2, staged=bad)
    assert res["failed"] and "has sha256" in res["msg"] and "Nothing was switched" in res["msg"]
    assert os.readlink(str(rel.base / "current")) == "releases/r1"
    assert os.listdir(str(rel.base / "releases/r2")) == []   # no file that looks complete


def test_health_rollback_and_prune(tmp_path, rel):
    ids = []
    for n in range(1, 5):
        src, sha = binary(tmp_path, "v%d" % n)
        rid = "r%d" % n
        rel(release_id=rid, sha256=sha, staged=src, keep_releases=3)
        if n < 4:
            assert rel(state="healthy")["last_known_good"] == rid
        ids.append(rid)
    # r4 is active and untested: rollback goes to r3 and records r4 as failed
    res = rel(state="rollback")
    assert res["changed"] and res["release_id"] == "r3" and res["rolled_back_from"] == "r4"
    assert res["failed_releases"] == ["r4"] and os.readlink(str(rel.base / "current")) == "releases/r3"
    assert sorted(os.listdir(str(rel.base / "releases"))) == ["r2", "r3", "r4"]   # r1 pruned at r4's activation
    assert rel(state="rollback", to="r2")["active"] == "r2"
    res = rel(state="rollback", to="r9")
    assert res["failed"] and "release r9 is not on this host" in res["msg"]


def test_check_mode_reports_without_touching(tmp_path, run_module):
    src, sha = binary(tmp_path, "v1")
    res, _raw = run_module("release", check_mode=True, app="app", base_dir=str(tmp_path / "opt"),
                           release_id="r1", sha256=sha, binary_name="app")
    assert res["changed"] and res["uploaded"] and res["switched"] and not (tmp_path / "opt").exists()


@pytest.mark.parametrize("args, message", [
    (dict(release_id="../x", sha256="0" * 64, binary_name="app"), "not usable as a directory name"),
    (dict(release_id="r1", sha256="XYZ", binary_name="app"), "64 lowercase hex"),
    (dict(release_id="r1", sha256="0" * 64, binary_name="a/b"), "plain file name"),
    (dict(release_id="r1", sha256="0" * 64, binary_name="app", keep_releases=0), "at least 1"),
    (dict(state="healthy"), "no active release"),
])
def test_bad_input(tmp_path, run_module, args, message):
    res, _raw = run_module("release", app="app", base_dir=str(tmp_path / "opt"), **args)
    assert res["failed"] and message in res["msg"]


def test_a_broken_manifest_is_named(tmp_path, run_module):
    (tmp_path / "opt").mkdir()
    (tmp_path / "opt" / "releases.json").write_text("{not json")
    res, _raw = run_module("release", app="app", base_dir=str(tmp_path / "opt"), state="query")
    assert res["failed"] and "releases.json is not valid JSON" in res["msg"]


def test_query_never_writes(tmp_path, rel):
    src, sha = binary(tmp_path, "v1")
    rel(release_id="r1", sha256=sha, staged=src)
    src2, sha2 = binary(tmp_path, "v2")
    rel(release_id="r2", sha256=sha2, staged=src2)
    # the link is moved by hand: the manifest is behind
    os.unlink(str(rel.base / "current"))
    os.symlink("releases/r1", str(rel.base / "current"))
    before = (rel.base / "releases.json").read_text()
    res = rel(state="query")
    assert res["changed"] is False and res["active"] == "r1" and res["previous"] == "r2"
    assert (rel.base / "releases.json").read_text() == before


def test_a_lost_manifest_is_rebuilt_from_the_directories(tmp_path, rel):
    src, sha = binary(tmp_path, "v1")
    rel(release_id="r1", sha256=sha, staged=src)
    src2, sha2 = binary(tmp_path, "v2")
    rel(release_id="r2", sha256=sha2, staged=src2)
    (rel.base / "releases.json").unlink()
    res = rel(state="query")
    assert res["active"] == "r2" and res["changed"] is False
    assert res["manifest"]["releases"]["r1"] == {"sha256": sha, "created": "", "activated": None,
                                                 "status": "unknown", "version": None}
    res = rel(state="rollback", to="r1")
    assert res["changed"] and res["active"] == "r1" and os.readlink(str(rel.base / "current")) == "releases/r1"
