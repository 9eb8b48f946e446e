"""The filebeat role on a lab host, around Filebeat itself (which cannot be downloaded here).

What runs for real: the settings and host checks, the deb822 source with its own keyring, apt
reading a signed repository and installing from it, install from a package file checked by sha256,
the hold, explicit upgrades and downgrades, filebeat.yml's content, owner and mode, idempotence,
and the order keystore -> config. The packages these tests install are test fixtures made here
(gopherops-test-fixture: a README and nothing else); they prove the role's install and hold
mechanics and nothing about Filebeat. Everything that needs the real binary (filebeat test config,
the keystore, the service) is in test_filebeat_real.py, which runs only when FILEBEAT_PACKAGE
points at a real Filebeat .deb.
"""

from __future__ import annotations

import email.utils
import hashlib
import os
import shutil
import subprocess

import pytest
import yaml

from conftest import ROOT, app_hosts, on, playbook

PLAY = os.path.join(ROOT, "tests", "integration", "files", "filebeat.yml")
FIXTURE = "gopherops-test-fixture"
REPO_ON_HOST = "/srv/gopherops-test-fixture-repo"
SECRET = "fixture-password-that-must-not-leak"


HOST, CONTAINER = app_hosts()[-1]


def on_host(command, check=True):
    return on(CONTAINER, command, check=check, timeout=120)


def make_deb(workdir, version):
    """A package that is plainly a test fixture: a README, no program."""
    root = os.path.join(workdir, "pkg-%s" % version)
    doc = os.path.join(root, "usr", "share", "doc", FIXTURE)
    os.makedirs(os.path.join(root, "DEBIAN"))
    os.makedirs(doc)
    with open(os.path.join(doc, "README"), "w", encoding="utf-8") as fh:
        fh.write("Test fixture of gopherops.baremetal's filebeat role tests. It is not Filebeat.\n")
    with open(os.path.join(root, "DEBIAN", "control"), "w", encoding="utf-8") as fh:
        fh.write("Package: %s\nVersion: %s\nArchitecture: all\nMaintainer: gopherops tests <tests@localhost>\n"
                 "Description: test fixture for the filebeat role (not Filebeat)\n" % (FIXTURE, version))
    deb = os.path.join(workdir, "%s_%s_all.deb" % (FIXTURE, version))
    subprocess.run(["dpkg-deb", "--root-owner-group", "--build", root, deb], check=True, capture_output=True)
    return deb


def sha256(path):
    with open(path, "rb") as fh:
        return hashlib.sha256(fh.read()).hexdigest()


def make_signed_repo(workdir, debs):
    """An APT repository (Packages, Release, InRelease signed with a key made here)."""
    gnupg = os.path.join(workdir, "gnupg")
    os.makedirs(gnupg, mode=0o700)
    env = dict(os.environ, GNUPGHOME=gnupg)
    uid = "gopherops test fixture repository <fixture@localhost>"
    other_uid = "gopherops test fixture, some other key <other@localhost>"
    keys = {}
    for name, one in (("fixture-repo.asc", uid), ("other.asc", other_uid)):
        subprocess.run(["gpg", "--batch", "--passphrase", "", "--quick-gen-key", one, "ed25519", "sign", "never"],
                       env=env, check=True, capture_output=True)
        keys[name] = os.path.join(workdir, name)
        with open(keys[name], "w", encoding="ascii") as fh:
            fh.write(subprocess.run(["gpg", "--armor", "--export", one], env=env, check=True, capture_output=True,
                                    text=True).stdout)
    repo = os.path.join(workdir, "repo")
    arch = subprocess.run(["dpkg", "--print-architecture"], check=True, capture_output=True, text=True).stdout.strip()
    os.makedirs(os.path.join(repo, "pool"))
    packages = []
    for deb in debs:
        name = os.path.basename(deb)
        shutil.copy(deb, os.path.join(repo, "pool", name))
        control = subprocess.run(["dpkg-deb", "--field", deb], check=True, capture_output=True, text=True).stdout
        packages.append(control.rstrip("\n") + "\nFilename: pool/%s\nSize: %d\nSHA256: %s\n"
                        % (name, os.path.getsize(deb), sha256(deb)))
    bindir = os.path.join(repo, "dists", "stable", "main", "binary-%s" % arch)
    os.makedirs(bindir)
    with open(os.path.join(bindir, "Packages"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(packages))
    rel = "main/binary-%s/Packages" % arch
    release = ("Origin: gopherops-test-fixture\nLabel: gopherops-test-fixture\nSuite: stable\nCodename: stable\n"
               "Date: %s\nArchitectures: %s\nComponents: main\nSHA256:\n %s %d %s\n"
               % (email.utils.formatdate(usegmt=True), arch, sha256(os.path.join(bindir, "Packages")),
                  os.path.getsize(os.path.join(bindir, "Packages")), rel))
    with open(os.path.join(repo, "dists", "stable", "Release"), "w", encoding="utf-8") as fh:
        fh.write(release)
    subprocess.run(["gpg", "--batch", "--yes", "--local-user", uid, "--clearsign", "-o",
                    os.path.join(repo, "dists", "stable", "InRelease"), os.path.join(repo, "dists", "stable", "Release")],
                   env=env, check=True, capture_output=True)
    return repo, keys["fixture-repo.asc"], keys["other.asc"]


def cleanup():
    on_host("apt-mark unhold %s >/dev/null 2>&1; dpkg --purge %s >/dev/null 2>&1; "
            "rm -rf /etc/filebeat /var/lib/filebeat /etc/apt/sources.list.d/elastic.sources /etc/apt/keyrings/elastic.asc "
            "/var/cache/apt/archives/%s_* %s /etc/systemd/system/filebeat.service.d; true" % (FIXTURE, FIXTURE, FIXTURE, REPO_ON_HOST))


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory, lab):  # pylint: disable=unused-argument
    if shutil.which("dpkg-deb") is None or shutil.which("gpg") is None:
        pytest.fail("these tests need dpkg-deb and gpg on the controller (Debian: dpkg, gpg)")
    workdir = str(tmp_path_factory.mktemp("filebeat"))
    debs = {v: make_deb(workdir, v) for v in ("8.15.3", "8.15.4")}
    repo, key, other = make_signed_repo(workdir, list(debs.values()))
    cleanup()
    subprocess.run(["docker", "cp", repo, "%s:%s" % (CONTAINER, REPO_ON_HOST)], check=True, capture_output=True)
    yield {"debs": debs, "key": key, "other_key": other}
    cleanup()


def run_role(*args, **extra):
    base = {"target": HOST, "filebeat_services": [{"name": "ssh", "mode": "systemd"}],
            "filebeat_output": {"type": "file", "path": "/var/tmp/filebeat-out"}, "filebeat_env": "lab",
            "filebeat_package_name": FIXTURE, "filebeat_manage_service": False, "filebeat_validate": False}
    base.update(extra)
    return playbook(PLAY, *args, extra_vars=base)


def installed():
    out = on_host("dpkg-query -W -f='${db:Status-Status} ${Version}' %s" % FIXTURE, check=False).stdout
    return out.split(" ", 1)[1] if out.startswith("installed ") else ""


def held():
    return FIXTURE in on_host("apt-mark showhold").stdout.split()


def test_bad_settings_are_refused_before_the_host_changes(fixtures):
    run = run_role(filebeat_install="package", filebeat_version="8.15",
                   filebeat_package_src=fixtures["debs"]["8.15.3"], filebeat_package_sha256="0" * 64,
                   filebeat_output={"type": "elasticsearch", "hosts": [], "secrets": {"password": SECRET}},
                   filebeat_services=[{"name": "ssh"}, {"name": "not-deployed-here"}])
    assert run.rc != 0
    for text in ("filebeat_version must be an exact version such as 8.15.3",
                 "filebeat_output.hosts must list at least one host for the elasticsearch output",
                 "filebeat_output.username must be set with a password",
                 "its sha256 is not filebeat_package_sha256"):
        assert text in run.out, text
    assert SECRET not in run.out
    assert installed() == "" and on_host("test -e /etc/filebeat", check=False).returncode != 0
    # settings that are fine, but a service and a TLS file the host does not have
    run = run_role(filebeat_install="package", filebeat_version="8.15.3",
                   filebeat_package_src=fixtures["debs"]["8.15.3"], filebeat_package_sha256=sha256(fixtures["debs"]["8.15.3"]),
                   filebeat_output={"type": "logstash", "hosts": ["ls:5044"], "tls": {"certificate_authorities": ["/etc/nope/ca.pem"]}},
                   filebeat_services=[{"name": "ssh"}, {"name": "not-deployed-here"}])
    assert run.rc != 0
    assert "filebeat_services lists not-deployed-here, which %s does not run" % HOST in run.out, run.out[-3000:]
    assert "filebeat_output.tls names files that %s does not have: /etc/nope/ca.pem" % HOST in run.out
    assert installed() == "" and on_host("test -e /etc/filebeat", check=False).returncode != 0


def test_install_from_a_package_file_then_hold_and_rerun_unchanged(fixtures):
    deb = fixtures["debs"]["8.15.3"]
    args = dict(filebeat_install="package", filebeat_version="8.15.3", filebeat_package_src=deb,
                filebeat_package_sha256=sha256(deb))
    # check mode on a host without the package says what would change and changes nothing
    run = run_role("--check", "--diff", **args)
    assert run.rc == 0 and run.changed(HOST) > 0, run.out[-4000:]
    assert installed() == "" and on_host("test -e /etc/filebeat/filebeat.yml", check=False).returncode != 0
    run = run_role(**args)
    assert run.rc == 0, run.out[-4000:]
    assert installed() == "8.15.3" and held()
    stat = on_host("stat -c '%U:%G %a' /etc/filebeat/filebeat.yml").stdout.strip()
    assert stat == "root:root 640"
    config = yaml.safe_load(on_host("cat /etc/filebeat/filebeat.yml").stdout)
    assert config["output.file"] == {"path": "/var/tmp/filebeat-out"}
    assert config["filebeat.inputs"] == [{
        "type": "journald", "id": "ssh-journald", "include_matches": {"match": ["_SYSTEMD_UNIT=ssh.service"]},
        "fields": {"app": "ssh", "env": "lab"}, "fields_under_root": False}]
    # the same settings again change nothing, in check mode or not
    for extra in (("--check", "--diff"), ()):
        run = run_role(*extra, **args)
        assert run.rc == 0 and run.changed(HOST) == 0, run.out[-4000:]
    # a package file that is another version than filebeat_version is refused, not installed
    other = fixtures["debs"]["8.15.4"]
    run = run_role(filebeat_install="package", filebeat_version="8.15.5", filebeat_package_src=other,
                   filebeat_package_sha256=sha256(other))
    assert run.rc != 0 and "Check that the package file holds the package and version asked for: failed (it holds %s 8.15.4)" \
        % FIXTURE in run.out, run.out[-3000:]
    assert installed() == "8.15.3"
    assert on_host("test -e /var/cache/apt/archives/%s_8.15.5.deb" % FIXTURE, check=False).returncode != 0


def test_modules_and_inputs_get_a_file_each_and_files_no_longer_configured_go(fixtures):
    deb = fixtures["debs"]["8.15.3"]
    args = dict(filebeat_install="package", filebeat_version="8.15.3", filebeat_package_src=deb,
                filebeat_package_sha256=sha256(deb), filebeat_inputs_dir=True,
                filebeat_extra_inputs=[{"id": "syslog", "paths": ["/var/log/syslog"]}],
                filebeat_modules={"nginx": {"access": {"enabled": True}}, "system": {"auth": {"enabled": True}}})
    # Given someone else's input file, and a module file shipped disabled (as the package ships them)
    on_host("mkdir -p /etc/filebeat/inputs.d /etc/filebeat/modules.d"
            " && echo '- {type: filestream, id: other, paths: [/var/log/other.log]}' > /etc/filebeat/inputs.d/other.yml"
            " && echo '- module: apache' > /etc/filebeat/modules.d/apache.yml.disabled")
    # When inputs go to inputs.d and two modules are enabled
    run = run_role(**args)
    assert run.rc == 0, run.out[-4000:]
    # Then each input and module has its own file, marked as the role's, 0640, and filebeat.yml loads them
    assert on_host("ls /etc/filebeat/inputs.d").stdout.split() == ["other.yml", "ssh-journald.yml", "syslog.yml"]
    assert on_host("ls /etc/filebeat/modules.d").stdout.split() == ["apache.yml.disabled", "nginx.yml", "system.yml"]
    nginx = on_host("cat /etc/filebeat/modules.d/nginx.yml").stdout
    assert nginx.startswith("# managed by gopherops.baremetal.filebeat\n"), nginx
    assert yaml.safe_load(nginx) == [{"module": "nginx", "access": {"enabled": True}}]
    assert yaml.safe_load(on_host("cat /etc/filebeat/inputs.d/syslog.yml").stdout) == [{
        "type": "filestream", "id": "syslog", "paths": ["/var/log/syslog"], "fields": {"env": "lab"}, "fields_under_root": False}]
    assert on_host("stat -c '%U:%G %a' /etc/filebeat/inputs.d/ssh-journald.yml /etc/filebeat/modules.d/system.yml"
                   ).stdout.split("\n")[:2] == ["root:root 640"] * 2
    config = yaml.safe_load(on_host("cat /etc/filebeat/filebeat.yml").stdout)
    assert "filebeat.inputs" not in config
    assert config["filebeat.config.inputs"]["path"] == "${path.config}/inputs.d/*.yml" and config["filebeat.config.inputs"]["reload.enabled"]
    assert config["filebeat.config.modules"]["path"] == "${path.config}/modules.d/*.yml"
    # And the same settings again change nothing
    again = run_role(**args)
    assert again.rc == 0 and again.changed(HOST) == 0, again.out[-4000:]
    # When inputs go back into filebeat.yml and one module is taken out
    fewer = run_role(**{**args, "filebeat_inputs_dir": False, "filebeat_modules": {"system": {"auth": {"enabled": True}}}})
    assert fewer.rc == 0, fewer.out[-4000:]
    # Then the role's files that no setting names are gone, and the others' stay
    assert on_host("ls /etc/filebeat/inputs.d").stdout.split() == ["other.yml"]
    assert on_host("ls /etc/filebeat/modules.d").stdout.split() == ["apache.yml.disabled", "system.yml"]
    config = yaml.safe_load(on_host("cat /etc/filebeat/filebeat.yml").stdout)
    assert [i["id"] for i in config["filebeat.inputs"]] == ["ssh-journald", "syslog"] and "filebeat.config.inputs" not in config
    # And a module setting Filebeat could not take is refused before any file changes
    before = on_host("cat /etc/filebeat/filebeat.yml /etc/filebeat/modules.d/system.yml").stdout
    bad = run_role(**{**args, "filebeat_modules": {"system": ["auth"]}})
    assert bad.rc != 0 and "filebeat_modules.system must be a mapping of filesets" in bad.out, bad.out[-3000:]
    assert on_host("cat /etc/filebeat/filebeat.yml /etc/filebeat/modules.d/system.yml").stdout == before
    on_host("rm -rf /etc/filebeat/inputs.d /etc/filebeat/modules.d")


def test_the_repository_is_deb822_with_its_own_key_and_upgrades_are_explicit(fixtures):
    repo = dict(filebeat_install="repo", filebeat_repo_url="file://%s" % REPO_ON_HOST, filebeat_repo_key=fixtures["key"])
    # a held 8.15.3 is upgraded only because the version names 8.15.4
    run = run_role(filebeat_version="8.15.4", **repo)
    assert run.rc == 0, run.out[-4000:]
    assert installed() == "8.15.4" and held()
    sources = on_host("cat /etc/apt/sources.list.d/elastic.sources").stdout
    assert "URIs: file://%s" % REPO_ON_HOST in sources and "Signed-By: /etc/apt/keyrings/elastic.asc" in sources
    assert on_host("cat /etc/apt/keyrings/elastic.asc").stdout == open(fixtures["key"], encoding="ascii").read()
    # nothing in apt's global trust: the key is trusted for this source only
    assert "elastic" not in on_host("ls -A /etc/apt/trusted.gpg.d/ /etc/apt/ 2>/dev/null; true").stdout.replace("elastic.sources", "")
    # going back is refused unless asked for, before anything changes
    run = run_role(filebeat_version="8.15.3", **repo)
    assert run.rc != 0 and "filebeat_version 8.15.3 would be a downgrade: set filebeat_allow_downgrade=true" in run.out
    assert installed() == "8.15.4"
    run = run_role(filebeat_version="8.15.3", filebeat_allow_downgrade=True, **repo)
    assert run.rc == 0, run.out[-4000:]
    assert installed() == "8.15.3" and held()
    run = run_role(filebeat_version="8.15.3", filebeat_allow_downgrade=True, **repo)
    assert run.rc == 0 and run.changed(HOST) == 0, run.out[-4000:]
    # a repository whose signature does not verify against the key is refused by apt
    other = {**repo, "filebeat_repo_key": fixtures["other_key"]}
    run = run_role(filebeat_version="8.15.4", **other)
    assert run.rc != 0 and ("NO_PUBKEY" in run.out or "not signed" in run.out or "signature" in run.out), run.out[-3000:]
    assert installed() == "8.15.3"


def test_secrets_need_the_keystore_first_and_never_reach_the_file(fixtures):
    deb = fixtures["debs"]["8.15.3"]
    before = on_host("cat /etc/filebeat/filebeat.yml", check=False).stdout
    run = run_role("-vvv", filebeat_install="package", filebeat_version="8.15.3", filebeat_package_src=deb,
                   filebeat_package_sha256=sha256(deb),
                   filebeat_output={"type": "elasticsearch", "hosts": ["https://es:9200"], "username": "fb",
                                    "secrets": {"password": SECRET}})
    # no Filebeat here, so the keystore cannot be filled: the run stops there, before filebeat.yml
    assert run.rc != 0
    assert "filebeat keystore create failed" in run.out or "No such file or directory" in run.out, run.out[-3000:]
    assert SECRET not in run.out
    assert on_host("cat /etc/filebeat/filebeat.yml", check=False).stdout == before
    assert on_host("grep -r %s /etc /var/lib 2>/dev/null" % SECRET, check=False).stdout == ""
