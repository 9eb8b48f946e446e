"""roles/filebeat/files/unpack.py, run as the role runs it (python3 -c, the request as JSON), on
archives made here in a temporary directory: what it unpacks and switches, what it keeps and
removes, and the archives it refuses without touching the release in use."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
with open(os.path.join(ROOT, "roles", "filebeat", "files", "unpack.py"), encoding="utf-8") as _fh:
    SCRIPT = _fh.read()
ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


def top(version):
    return "filebeat-%s-linux-%s" % (version, ARCH)


def archive(path, version, extra=()):
    """Elastic's layout (a README, module/) plus extra (name, type, linkname) members."""
    t = top(version)
    with tarfile.open(path, "w:gz") as tar:
        for name, kind, link in [(t, tarfile.DIRTYPE, ""), (t + "/module", tarfile.DIRTYPE, ""),
                                 (t + "/README", tarfile.REGTYPE, "")] + list(extra):
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode = kind, link, 0o4777 if kind == tarfile.REGTYPE else 0o775
            data = b"readme %s\n" % version.encode() if kind == tarfile.REGTYPE else b""
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)
    return path


def run(base, version, path):
    res = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps({"archive": path, "dir": str(base), "version": version})],
                         capture_output=True, text=True, check=False)
    return res.returncode, json.loads(res.stdout)


def install(base, version, extra=()):
    return run(base, version, archive(str(base / (".filebeat-%s.tar.gz" % version)), version, extra))


def test_releases_switch_keep_the_one_before_and_leave_foreign_directories(tmp_path):
    (tmp_path / "7.17.0").mkdir()
    assert install(tmp_path, "8.15.3")[0] == 0
    assert os.readlink(tmp_path / "current") == "8.15.3"
    readme = tmp_path / "8.15.3" / "README"
    assert readme.read_text() == "readme 8.15.3\n" and oct(readme.stat().st_mode & 0o7777) == "0o755"
    assert (tmp_path / "8.15.3" / ".gopherops-release").read_text() == "8.15.3\n"
    rc, out = install(tmp_path, "8.15.4")
    assert rc == 0 and out["previous"] == "8.15.3" and out["removed"] == []
    rc, out = install(tmp_path, "8.15.5")
    assert rc == 0 and out["removed"] == ["8.15.3"]
    assert sorted(os.listdir(tmp_path)) == ["7.17.0", "8.15.4", "8.15.5", "current"]
    # back to the kept release: no archive needed
    rc, out = run(tmp_path, "8.15.4", "")
    assert rc == 0 and os.readlink(tmp_path / "current") == "8.15.4"
    # a directory of that name the script did not unpack is not taken for a release
    (tmp_path / "8.15.6").mkdir()
    rc, out = install(tmp_path, "8.15.6")
    assert rc == 1 and "is there but was not unpacked by this role" in out["msg"]


T = top("8.15.3")


@pytest.mark.parametrize("extra,text", [
    ([(T + "/../../evil", tarfile.REGTYPE, "")], "names a path outside its directory"),
    ([("/etc/evil", tarfile.REGTYPE, "")], "names a path outside its directory"),
    ([(T + "/dev", tarfile.CHRTYPE, "")], "neither a file, a directory nor a link"),
    ([(T + "/README", tarfile.REGTYPE, "")], "holds %s/README twice" % T),
    ([(T + "/out", tarfile.SYMTYPE, "../../x")], "points outside its directory"),
    ([(T + "/abs", tarfile.SYMTYPE, "/etc")], "points outside its directory"),
    ([(T + "/a", tarfile.SYMTYPE, "module"), (T + "/a/x", tarfile.REGTYPE, "")], "lies under its link %s/a" % T),
    ([(T + "/h", tarfile.LNKTYPE, T + "/later"), (T + "/later", tarfile.REGTYPE, "")], "does not name an earlier file"),
    ([(T + "/h", tarfile.LNKTYPE, "/etc/passwd")], "does not name an earlier file"),
    ([(T + "/a", tarfile.DIRTYPE, ""), (T + "/a/b", tarfile.DIRTYPE, ""), (T + "/a/b/up", tarfile.SYMTYPE, "../.."),
      (T + "/esc", tarfile.SYMTYPE, "a/b/up/../../..")], "link esc leads outside its directory"),
    ([("stray", tarfile.REGTYPE, "")], "must hold one directory"),
])
def test_a_harmful_archive_is_refused_and_the_release_in_use_stays(tmp_path, extra, text):
    assert install(tmp_path, "8.15.2")[0] == 0
    rc, out = install(tmp_path, "8.15.3", extra)
    assert rc == 1 and text in out["msg"], out
    assert os.readlink(tmp_path / "current") == "8.15.2"
    assert sorted(os.listdir(tmp_path)) == ["8.15.2", "current"]  # no partial release, no archive left
    assert not os.path.exists(tmp_path.parent / "evil") and not os.path.exists(tmp_path.parent / "x")


def test_an_archive_of_another_version_or_architecture_is_refused(tmp_path):
    rc, out = run(tmp_path, "8.15.4", archive(str(tmp_path / "a.tar.gz"), "8.15.3"))
    assert rc == 1 and "holds %s, not filebeat-8.15.4-linux-<arch>" % T in out["msg"]
    other = "arm64" if ARCH != "arm64" else "x86_64"
    path = str(tmp_path / "b.tar.gz")
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("filebeat-8.15.3-linux-%s" % other)
        info.type = tarfile.DIRTYPE
        tar.addfile(info)
    rc, out = run(tmp_path, "8.15.3", path)
    assert rc == 1 and "made for %s" % other in out["msg"] and "(filebeat_archive_src)" in out["msg"]
    rc, out = run(tmp_path, "8.15.3", str(tmp_path / "missing.tar.gz"))
    assert rc == 1 and "cannot read the archive" in out["msg"]
    assert os.listdir(tmp_path) == []
