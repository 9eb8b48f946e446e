"""The filebeat role installing from Elastic's tar.gz archive, on a lab host.

The archives are test fixtures made here (filebeat-<version>-linux-<arch>/ holding a README and an
empty module/ directory, no program): they prove the role's unpack, switch, keep-one-before, unit
and refusal mechanics, nothing about Filebeat. The service is not started (there is no binary to
run); test_filebeat_real_archive.py runs a real archive when FILEBEAT_ARCHIVE points at one.
"""

from __future__ import annotations

import io
import itertools
import os
import tarfile

import pytest

from conftest import app_hosts, on, web_on_host
from test_filebeat_role import run_role as run_package_role
from test_filebeat_role import make_deb, sha256

HOST, CONTAINER = app_hosts()[-1]
BASE = "/opt/filebeat-fixture"
SERIAL = itertools.count()
ARCH = {"x86_64": "x86_64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


def on_host(command, check=True):
    return on(CONTAINER, command, check=check, timeout=120)


def make_archive(workdir, version, top=None, extra=()):
    """A tar.gz laid out as Elastic's, plainly a test fixture; extra: more (name, TarInfo type, link) members."""
    top = top or "filebeat-%s-linux-%s" % (version, ARCH)
    path = os.path.join(workdir, "%s-%d.tar.gz" % (top, next(SERIAL)))
    text = ("Test fixture of gopherops.baremetal's filebeat role tests (%s). It is not Filebeat.\n" % version).encode()
    with tarfile.open(path, "w:gz") as tar:
        for name in (top, top + "/module"):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.uid, info.gid = tarfile.DIRTYPE, 0o775, 1000, 1000
            tar.addfile(info)
        info = tarfile.TarInfo(top + "/README.fixture")
        info.size, info.mode, info.uid, info.gid = len(text), 0o6777, 1000, 1000
        tar.addfile(info, io.BytesIO(text))
        info = tarfile.TarInfo(top + "/LICENSE.fixture")
        info.type, info.linkname = tarfile.SYMTYPE, "README.fixture"
        tar.addfile(info)
        for name, kind, link in extra:
            info = tarfile.TarInfo(name)
            info.type, info.linkname, info.mode = kind, link, 0o755
            tar.addfile(info, io.BytesIO(b"") if kind == tarfile.REGTYPE else None)
    return path


def cleanup():
    on_host("rm -rf %s /etc/filebeat /var/lib/filebeat /etc/systemd/system/filebeat.service "
            "/etc/systemd/system/filebeat.service.d && systemctl daemon-reload" % BASE)


@pytest.fixture(scope="module")
def archives(tmp_path_factory, lab):  # pylint: disable=unused-argument
    workdir = str(tmp_path_factory.mktemp("filebeat-archive"))
    cleanup()
    yield {v: make_archive(workdir, v) for v in ("8.15.3", "8.15.4", "8.15.5")}, workdir
    cleanup()
    on_host("dpkg --purge gopherops-test-fixture >/dev/null 2>&1; rm -f /var/cache/apt/archives/gopherops-test-fixture_*; true")


def run_role(version, archive, *args, **extra):
    return run_package_role(*args, filebeat_install="archive", filebeat_version=version, filebeat_archive_src=archive,
                            filebeat_archive_sha256=sha256(archive), filebeat_archive_dir=BASE, **extra)


def current():
    return on_host("readlink %s/current" % BASE, check=False).stdout.strip()


def releases():
    return on_host("ls -A %s" % BASE).stdout.split()


def test_releases_unpack_beside_each_other_current_switches_and_one_before_is_kept(archives):
    tars = archives[0]
    run = run_role("8.15.3", tars["8.15.3"], "--check", "--diff")
    assert run.rc == 0 and run.changed(HOST) > 0, run.out[-4000:]
    assert current() == "" and on_host("test -e /etc/systemd/system/filebeat.service", check=False).returncode != 0

    run = run_role("8.15.3", tars["8.15.3"])
    assert run.rc == 0, run.out[-4000:]
    assert current() == "8.15.3" and releases() == ["8.15.3", "current"]
    # owned by root, no set-id bits, nothing writable by others, the link kept as a link
    assert on_host("stat -c '%%U:%%G %%a' %s/current/README.fixture" % BASE).stdout.strip() == "root:root 755"
    assert on_host("readlink %s/current/LICENSE.fixture" % BASE).stdout.strip() == "README.fixture"
    assert "(8.15.3)" in on_host("cat %s/current/README.fixture" % BASE).stdout
    unit = on_host("systemctl show -p FragmentPath -p ExecStart filebeat").stdout
    assert "FragmentPath=/etc/systemd/system/filebeat.service" in unit, unit
    assert ("path=%s/current/filebeat" % BASE) in unit and "--path.home %s/current" % BASE in unit, unit
    for extra in (("--check", "--diff"), ()):
        run = run_role("8.15.3", tars["8.15.3"], *extra)
        assert run.rc == 0 and run.changed(HOST) == 0, run.out[-4000:]

    run = run_role("8.15.4", tars["8.15.4"])
    assert run.rc == 0, run.out[-4000:]
    assert current() == "8.15.4" and releases() == ["8.15.3", "8.15.4", "current"]
    run = run_role("8.15.5", tars["8.15.5"])
    assert run.rc == 0, run.out[-4000:]
    assert current() == "8.15.5" and releases() == ["8.15.4", "8.15.5", "current"]

    # back to the release kept: refused unless meant, then a switch of current alone
    run = run_role("8.15.4", tars["8.15.4"])
    assert run.rc != 0 and "has filebeat 8.15.5; filebeat_version 8.15.4 would be a downgrade" in run.out, run.out[-3000:]
    assert current() == "8.15.5"
    run = run_role("8.15.4", tars["8.15.4"], filebeat_allow_downgrade=True)
    assert run.rc == 0, run.out[-4000:]
    assert current() == "8.15.4" and releases() == ["8.15.4", "8.15.5", "current"]
    assert "Send the archive" in run.out and "skipping: [%s]" % HOST in run.out.split("Send the archive", 1)[1].split("TASK", 1)[0]

    # from a package now: the role's unit goes (the package's runs Filebeat again), the releases stay
    # (an older version than the archive's is a downgrade there too)
    deb = make_deb(archives[1], "8.15.3")
    run = run_package_role(filebeat_install="package", filebeat_version="8.15.3", filebeat_package_src=deb,
                           filebeat_package_sha256=sha256(deb), filebeat_archive_dir=BASE)
    assert run.rc != 0 and "has gopherops-test-fixture 8.15.4; filebeat_version 8.15.3 would be a downgrade" in run.out
    deb = make_deb(archives[1], "8.15.5")
    run = run_package_role(filebeat_install="package", filebeat_version="8.15.5", filebeat_package_src=deb,
                           filebeat_package_sha256=sha256(deb), filebeat_archive_dir=BASE)
    assert run.rc == 0, run.out[-4000:]
    assert on_host("test -e /etc/systemd/system/filebeat.service", check=False).returncode != 0
    assert "FragmentPath=\n" in on_host("systemctl show -p FragmentPath filebeat").stdout + "\n"
    assert current() == "8.15.4"


def test_an_archive_not_of_this_version_architecture_or_shape_is_refused_and_current_stays(archives):
    tars, workdir = archives
    on_host("dpkg --purge gopherops-test-fixture >/dev/null 2>&1; rm -rf %s && mkdir -p %s" % (BASE, BASE))
    assert run_role("8.15.3", tars["8.15.3"]).rc == 0
    other_arch = "arm64" if ARCH != "arm64" else "x86_64"
    bad = {
        "holds filebeat-8.15.3-linux-%s, not filebeat-8.15.6-linux-<arch>" % ARCH: ("8.15.6", tars["8.15.3"]),
        "the archive is made for %s and this host is" % other_arch:
            ("8.15.6", make_archive(workdir, "8.15.6", top="filebeat-8.15.6-linux-%s" % other_arch)),
        "names a path outside its directory": ("8.15.6", make_archive(workdir, "8.15.6", extra=[
            ("filebeat-8.15.6-linux-%s/../../../etc/cron.d/evil" % ARCH, tarfile.REGTYPE, "")])),
        "link filebeat-8.15.6-linux-%s/module/out points outside its directory" % ARCH: ("8.15.6", make_archive(workdir, "8.15.6", extra=[
            ("filebeat-8.15.6-linux-%s/module/out" % ARCH, tarfile.SYMTYPE, "../../../etc")])),
        "which is neither a file, a directory nor a link": ("8.15.6", make_archive(workdir, "8.15.6", extra=[
            ("filebeat-8.15.6-linux-%s/fifo" % ARCH, tarfile.FIFOTYPE, "")])),
        "the archive must hold one directory": ("8.15.6", make_archive(workdir, "8.15.6", extra=[
            ("stray-file", tarfile.REGTYPE, "")])),
        # a file written through one of the archive's own links
        "filebeat-8.15.6-linux-%s/a/x lies under its link" % ARCH: ("8.15.6", make_archive(workdir, "8.15.6", extra=[
            ("filebeat-8.15.6-linux-%s/a" % ARCH, tarfile.SYMTYPE, "module"),
            ("filebeat-8.15.6-linux-%s/a/x" % ARCH, tarfile.REGTYPE, "")])),
        # a link that reads as inside but leads out through another link
        "link esc leads outside its directory": ("8.15.6", make_archive(workdir, "8.15.6", extra=[
            ("filebeat-8.15.6-linux-%s/a" % ARCH, tarfile.DIRTYPE, ""),
            ("filebeat-8.15.6-linux-%s/a/b" % ARCH, tarfile.DIRTYPE, ""),
            ("filebeat-8.15.6-linux-%s/a/b/up" % ARCH, tarfile.SYMTYPE, "../.."),
            ("filebeat-8.15.6-linux-%s/esc" % ARCH, tarfile.SYMTYPE, "a/b/up/../../..")])),
        "hard link filebeat-8.15.6-linux-%s/h does not name an earlier file" % ARCH: ("8.15.6", make_archive(workdir, "8.15.6", extra=[
            ("filebeat-8.15.6-linux-%s/h" % ARCH, tarfile.LNKTYPE, "filebeat-8.15.6-linux-%s/later" % ARCH),
            ("filebeat-8.15.6-linux-%s/later" % ARCH, tarfile.REGTYPE, "")])),
    }
    for text, (version, path) in bad.items():
        run = run_role(version, path)
        assert run.rc != 0 and text in run.out, (text, run.out[-3000:])
        # nothing of it left, and the release in use untouched
        assert current() == "8.15.3" and releases() == ["8.15.3", "current"], text
    assert on_host("test -e /etc/cron.d/evil", check=False).returncode != 0
    # a wrong sha256 stops before anything is sent
    run = run_package_role(filebeat_install="archive", filebeat_version="8.15.4", filebeat_archive_src=tars["8.15.4"],
                           filebeat_archive_sha256="0" * 64, filebeat_archive_dir=BASE)
    assert run.rc != 0 and "its sha256 is not filebeat_archive_sha256" in run.out
    assert current() == "8.15.3" and releases() == ["8.15.3", "current"]
    run = run_package_role(filebeat_install="archive", filebeat_version="8.15.4", filebeat_archive_dir="/")
    assert run.rc != 0
    for text in ("filebeat_install=archive needs filebeat_archive_src", "filebeat_archive_dir must be an absolute directory other than /"):
        assert text in run.out, text

    # directories the role did not unpack are neither used nor removed
    on_host("mkdir -p %s/7.17.0 %s/8.15.6 && touch %s/7.17.0/theirs" % (BASE, BASE, BASE))
    run = run_role("8.15.6", make_archive(workdir, "8.15.6"))
    assert run.rc != 0 and "%s/8.15.6 is there but was not unpacked by this role" % BASE in run.out, run.out[-3000:]
    assert current() == "8.15.3"
    for version in ("8.15.4", "8.15.5"):
        run = run_role(version, tars[version])
        assert run.rc == 0, run.out[-3000:]
    assert current() == "8.15.5" and releases() == ["7.17.0", "8.15.4", "8.15.5", "8.15.6", "current"]


def test_an_archive_from_a_url_is_checked_by_sha256_as_it_is_fetched(archives):
    tars = archives[0]
    on_host("dpkg --purge gopherops-test-fixture >/dev/null 2>&1; rm -rf %s" % BASE)
    with web_on_host(CONTAINER, {"fb.tar.gz": tars["8.15.3"]}) as url:
        args = dict(filebeat_install="archive", filebeat_version="8.15.3", filebeat_archive_src=url + "/fb.tar.gz",
                    filebeat_archive_dir=BASE)
        run = run_package_role(filebeat_archive_sha256="0" * 64, **args)
        assert run.rc != 0 and "did not match" in run.out, run.out[-3000:]
        assert current() == "" and releases() == []
        run = run_package_role(filebeat_archive_sha256=sha256(tars["8.15.3"]), **args)
        assert run.rc == 0, run.out[-3000:]
        assert current() == "8.15.3" and releases() == ["8.15.3", "current"]
