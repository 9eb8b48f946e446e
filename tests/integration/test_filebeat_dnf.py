"""The filebeat role with dnf (filebeat_package_manager=dnf), on a lab host that has Debian's dnf and rpm.

What runs for real: rpm, dnf and its versionlock plugin, a YUM repository made here (createrepo_c,
packages signed with rpmsign, the metadata signed too), the role's .repo file with gpgcheck and a
key of its own, a package signed by another key refused, install from a .rpm by sha256, the hold
against a general `dnf upgrade`, explicit upgrades and downgrades. The lab hosts are Debian with
dnf added, not EL: what an EL host adds (its crypto policy, its release packages) is not covered.
The packages are test fixtures (gopherops-test-fixture: a README, no program); they prove the
role's install and hold mechanics and nothing about Filebeat.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from conftest import web_on_host
from test_filebeat_role import CONTAINER, FIXTURE, HOST, on_host, run_role, sha256

REPO_ON_HOST = "/srv/gopherops-test-fixture-yum"
SPEC = """Name: %(name)s
Version: %(version)s
Release: 1
Summary: test fixture for the filebeat role (not Filebeat)
License: Apache-2.0
BuildArch: noarch
%%description
Test fixture of gopherops.baremetal's filebeat role tests. It is not Filebeat.
%%install
mkdir -p %%{buildroot}/usr/share/doc/%(name)s
echo 'Test fixture of the filebeat role tests (%(version)s). It is not Filebeat.' > %%{buildroot}/usr/share/doc/%(name)s/README
%%files
/usr/share/doc/%(name)s/README
"""


def gpg_key(workdir, env, uid, name):
    subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", uid, "rsa3072", "sign", "never"],
                   env=env, check=True, capture_output=True)
    path = os.path.join(workdir, name)
    with open(path, "w", encoding="ascii") as fh:
        fh.write(subprocess.run(["gpg", "--armor", "--export", uid], env=env, check=True, capture_output=True, text=True).stdout)
    return path


def make_rpm(workdir, version, env, uid):
    top = os.path.join(workdir, "rpmbuild-%s" % version)
    os.makedirs(os.path.join(top, "SPECS"))
    spec = os.path.join(top, "SPECS", "fixture.spec")
    with open(spec, "w", encoding="utf-8") as fh:
        fh.write(SPEC % {"name": FIXTURE, "version": version})
    subprocess.run(["rpmbuild", "-bb", "--define", "_topdir %s" % top, spec], check=True, capture_output=True)
    rpm = os.path.join(top, "RPMS", "noarch", "%s-%s-1.noarch.rpm" % (FIXTURE, version))
    if uid:
        subprocess.run(["rpmsign", "--addsign", "--define", "_gpg_name %s" % uid, "--define", "__gpg /usr/bin/gpg", rpm],
                       env=env, check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return rpm


def make_repo(path, rpms, env, uid):
    os.makedirs(path)
    for rpm in rpms:
        shutil.copy(rpm, path)
    subprocess.run(["createrepo_c", "--quiet", path], check=True, capture_output=True)
    subprocess.run(["gpg", "--batch", "--yes", "--local-user", uid, "--detach-sign", "--armor",
                    os.path.join(path, "repodata", "repomd.xml")], env=env, check=True, capture_output=True)


def cleanup():
    on_host("dnf --quiet versionlock clear >/dev/null 2>&1; rpm -e --nodeps %s >/dev/null 2>&1; "
            "for k in $(rpm -q gpg-pubkey 2>/dev/null | grep -v 'not installed'); do rpm -e $k; done; "
            "rm -rf %s /etc/yum.repos.d/elastic-gopherops.repo /etc/pki/rpm-gpg/RPM-GPG-KEY-elastic-gopherops "
            "/var/cache/dnf/elastic-gopherops* /var/tmp/gopherops-%s-* /etc/filebeat /var/lib/filebeat; true"
            % (FIXTURE, REPO_ON_HOST, FIXTURE))


@pytest.fixture(scope="module")
def yum(tmp_path_factory, lab):  # pylint: disable=unused-argument
    missing = [t for t in ("rpmbuild", "rpmsign", "createrepo_c", "gpg") if shutil.which(t) is None]
    if missing:
        pytest.fail("these tests need %s on the controller (Debian: rpm, createrepo-c, gpg; make host-deps installs them)"
                    % ", ".join(missing))
    if on_host("command -v dnf && test -e /etc/dnf/plugins/versionlock.conf", check=False).returncode != 0:
        pytest.fail("the lab host %s has no dnf with its versionlock plugin: rebuild the lab image (make lab-down lab-up)" % HOST)
    # Debian's dnf-plugins-core turns on its "local" plugin (a repository of its own, unsigned), which EL does not install
    on_host("sed -i '0,/^enabled/s/^enabled.*/enabled = false/' /etc/dnf/plugins/local.conf")
    workdir = str(tmp_path_factory.mktemp("filebeat-dnf"))
    gnupg = os.path.join(workdir, "gnupg")
    os.makedirs(gnupg, mode=0o700)
    env = dict(os.environ, GNUPGHOME=gnupg)
    uid = "gopherops test fixture yum repository <fixture@localhost>"
    other_uid = "gopherops test fixture, some other yum key <other@localhost>"
    key, other = gpg_key(workdir, env, uid, "fixture.asc"), gpg_key(workdir, env, other_uid, "other.asc")
    rpms = {v: make_rpm(workdir, v, env, uid) for v in ("8.15.3", "8.15.4")}
    repo = os.path.join(workdir, "repo")
    make_repo(repo, list(rpms.values()), env, uid)
    unsigned = make_rpm(os.path.join(workdir, "unsigned"), "8.15.5", env, None)
    cleanup()
    subprocess.run(["docker", "cp", repo, "%s:%s" % (CONTAINER, REPO_ON_HOST)], check=True, capture_output=True)
    yield {"key": key, "other": other, "rpms": rpms, "unsigned": unsigned}
    cleanup()


def installed():
    out = on_host("rpm -q --queryformat '%%{VERSION}' %s" % FIXTURE, check=False)
    return out.stdout.strip() if out.returncode == 0 else ""


def locked():
    return on_host("cat /etc/dnf/plugins/versionlock.list 2>/dev/null | grep '^%s-' || true" % FIXTURE).stdout.split()


def test_the_yum_repository_trusts_its_own_key_holds_the_version_and_moves_only_when_asked(yum):
    repo = dict(filebeat_package_manager="dnf", filebeat_install="repo", filebeat_yum_repo_url="file://%s" % REPO_ON_HOST,
                filebeat_yum_repo_gpgcheck=True)
    # first, with a key that did not sign the repository: nothing installed, whether the metadata is checked or only the package
    for metadata, text in ((True, "repomd.xml GPG signature verification error"), (False, "GPG check FAILED")):
        args = {**repo, "filebeat_yum_repo_gpgcheck": metadata}
        run = run_role(filebeat_version="8.15.3", filebeat_repo_key=yum["other"], **args)
        assert run.rc != 0 and text in run.out and installed() == "", run.out[-3000:]

    run = run_role("--check", "--diff", filebeat_version="8.15.3", filebeat_repo_key=yum["key"], **repo)
    assert run.rc == 0 and run.changed(HOST) > 0 and installed() == "", run.out[-3000:]
    run = run_role(filebeat_version="8.15.3", filebeat_repo_key=yum["key"], **repo)
    assert run.rc == 0, run.out[-4000:]
    assert installed() == "8.15.3" and locked() == ["%s-0:8.15.3-1.*" % FIXTURE], locked()
    conf = on_host("cat /etc/yum.repos.d/elastic-gopherops.repo").stdout
    for line in ("baseurl=file://%s" % REPO_ON_HOST, "gpgcheck=1", "repo_gpgcheck=1",
                 "gpgkey=file:///etc/pki/rpm-gpg/RPM-GPG-KEY-elastic-gopherops"):
        assert line in conf.splitlines(), (line, conf)
    for extra in (("--check", "--diff"), ()):
        run = run_role(*extra, filebeat_version="8.15.3", filebeat_repo_key=yum["key"], **repo)
        assert run.rc == 0 and run.changed(HOST) == 0, run.out[-4000:]

    # a general upgrade leaves the held version; naming the next one moves it, and the hold with it
    on_host("dnf --assumeyes upgrade %s" % FIXTURE)
    assert installed() == "8.15.3"
    would = on_host("dnf --assumeno --disableplugin=versionlock upgrade %s 2>&1" % FIXTURE, check=False).stdout
    assert "8.15.4" in would, would  # the upgrade the hold kept away was there to take
    run = run_role(filebeat_version="8.15.4", filebeat_repo_key=yum["key"], **repo)
    assert run.rc == 0 and installed() == "8.15.4" and locked() == ["%s-0:8.15.4-1.*" % FIXTURE], run.out[-3000:]
    run = run_role(filebeat_version="8.15.3", filebeat_repo_key=yum["key"], **repo)
    assert run.rc != 0 and "has %s 8.15.4; filebeat_version 8.15.3 would be a downgrade" % FIXTURE in run.out
    assert installed() == "8.15.4"
    run = run_role(filebeat_version="8.15.3", filebeat_repo_key=yum["key"], filebeat_allow_downgrade=True, filebeat_hold=False,
                   **repo)
    assert run.rc == 0 and installed() == "8.15.3" and locked() == [], run.out[-3000:]


def test_a_package_file_by_sha256_and_one_of_another_version_refused(yum):
    on_host("dnf --quiet versionlock clear >/dev/null 2>&1; rpm -e --nodeps %s >/dev/null 2>&1; true" % FIXTURE)
    rpm = yum["unsigned"]
    args = dict(filebeat_package_manager="dnf", filebeat_install="package", filebeat_package_src=rpm, filebeat_package_sha256=sha256(rpm))
    run = run_role(filebeat_version="8.15.5", **args)
    assert run.rc == 0 and installed() == "8.15.5" and locked() == ["%s-0:8.15.5-1.*" % FIXTURE], run.out[-4000:]
    assert on_host("ls /var/tmp | grep -c gopherops-%s || true" % FIXTURE).stdout.strip() == "0"
    run = run_role(filebeat_version="8.15.5", **args)
    assert run.rc == 0 and run.changed(HOST) == 0, run.out[-4000:]
    run = run_role(filebeat_version="8.15.6", **args)
    assert run.rc != 0 and "Check that the package file holds the package and version asked for: failed (it holds %s 8.15.5)" % FIXTURE \
        in run.out, run.out[-3000:]
    assert installed() == "8.15.5" and "gopherops-%s" % FIXTURE not in on_host("ls /var/tmp").stdout


def test_the_key_and_a_package_from_a_url_are_checked_by_sha256(yum):
    on_host("dnf --quiet versionlock clear >/dev/null 2>&1; rpm -e --nodeps %s >/dev/null 2>&1; "
            "for k in $(rpm -q gpg-pubkey 2>/dev/null | grep -v 'not installed'); do rpm -e $k; done; "
            "rm -f /etc/pki/rpm-gpg/RPM-GPG-KEY-elastic-gopherops; true" % FIXTURE)
    with web_on_host(CONTAINER, {"key.asc": yum["key"], "fixture.rpm": yum["unsigned"]}) as url:
        repo = dict(filebeat_package_manager="dnf", filebeat_install="repo", filebeat_yum_repo_url="file://%s" % REPO_ON_HOST,
                    filebeat_repo_key_url=url + "/key.asc", filebeat_version="8.15.3")
        run = run_role(filebeat_repo_key_sha256="0" * 64, **repo)
        assert run.rc != 0 and "did not match" in run.out and installed() == "", run.out[-3000:]
        assert on_host("test -e /etc/pki/rpm-gpg/RPM-GPG-KEY-elastic-gopherops", check=False).returncode != 0
        run = run_role(filebeat_repo_key_sha256=sha256(yum["key"]), **repo)
        assert run.rc == 0 and installed() == "8.15.3", run.out[-3000:]

        on_host("dnf --quiet versionlock clear >/dev/null 2>&1; rpm -e --nodeps %s" % FIXTURE)
        rpm = dict(filebeat_package_manager="dnf", filebeat_install="package", filebeat_package_src=url + "/fixture.rpm",
                   filebeat_version="8.15.5")
        run = run_role(filebeat_package_sha256="0" * 64, **rpm)
        assert run.rc != 0 and "did not match" in run.out and installed() == "", run.out[-3000:]
        run = run_role(filebeat_package_sha256=sha256(yum["unsigned"]), **rpm)
        assert run.rc == 0 and installed() == "8.15.5", run.out[-3000:]
        left = on_host("ls -la /var/tmp").stdout
        assert "gopherops-%s" % FIXTURE not in left, left + run.out[-6000:]
