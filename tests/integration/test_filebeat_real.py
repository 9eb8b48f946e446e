"""The filebeat role with the real Filebeat: only when FILEBEAT_PACKAGE names a Filebeat .deb
(for example filebeat-8.15.3-amd64.deb from Elastic, downloaded beforehand); CI machines cannot
download it, so CI skips these tests and says so. They prove what test_filebeat_role.py cannot:
`filebeat test config` on every candidate file, the keystore, the service, and events arriving."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time

import pytest
import yaml

from test_filebeat_role import HOST, on_host, run_role

PACKAGE = os.environ.get("FILEBEAT_PACKAGE", "")
SECRET = "real-filebeat-secret-that-must-not-leak"

pytestmark = pytest.mark.skipif(
    not PACKAGE, reason="FILEBEAT_PACKAGE is not set: the tests that need the real Filebeat binary did not run "
                        "(set it to a Filebeat .deb to run them)")


def version_of(path):
    match = re.search(r"filebeat[-_]([0-9]+\.[0-9]+\.[0-9]+)", os.path.basename(path))
    assert match, "cannot read a version from %s (expected a name like filebeat-8.15.3-amd64.deb)" % path
    return match.group(1)


def real(**extra):
    with open(PACKAGE, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    base = dict(filebeat_install="package", filebeat_version=version_of(PACKAGE), filebeat_package_src=os.path.abspath(PACKAGE),
                filebeat_package_sha256=digest, filebeat_package_name="filebeat", filebeat_manage_service=True,
                filebeat_validate=True)
    base.update(extra)
    return run_role(**base)


@pytest.fixture(scope="module", autouse=True)
def clean_afterwards(lab):  # pylint: disable=unused-argument
    yield
    on_host("systemctl stop filebeat; apt-mark unhold filebeat; dpkg --purge filebeat; "
            "rm -rf /etc/filebeat /var/lib/filebeat /var/tmp/filebeat-out /etc/systemd/system/filebeat.service.d; true", check=False)


def test_installs_validates_keeps_secrets_in_the_keystore_and_ships_events():
    run = real(filebeat_output={"type": "file", "path": "/var/tmp/filebeat-out"},
               filebeat_settings={"logging.level": "info"})
    assert run.rc == 0, run.out[-4000:]
    assert on_host("systemctl is-active filebeat").stdout.strip() == "active"
    # the service's journal lines (sshd logs as it restarts) reach the output with the app's fields
    on_host("systemctl restart ssh")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = on_host("cat /var/tmp/filebeat-out/* 2>/dev/null", check=False).stdout
        events = [json.loads(line) for line in out.splitlines() if line.strip()]
        if any(e.get("fields", {}).get("app") == "ssh" for e in events):
            break
        time.sleep(2)
    else:
        pytest.fail("no event with fields.app=ssh reached the file output")
    # a second run changes nothing
    run = real(filebeat_output={"type": "file", "path": "/var/tmp/filebeat-out"}, filebeat_settings={"logging.level": "info"})
    assert run.rc == 0 and run.changed(HOST) == 0, run.out[-4000:]


def test_a_config_filebeat_rejects_never_replaces_the_good_one():
    good = on_host("cat /etc/filebeat/filebeat.yml").stdout
    run = real(filebeat_output={"type": "file", "path": "/var/tmp/filebeat-out"},
               filebeat_settings={"queue.mem.events": "not-a-number"})
    assert run.rc != 0 and "failed to validate" in run.out, run.out[-3000:]
    assert on_host("cat /etc/filebeat/filebeat.yml").stdout == good
    assert on_host("systemctl is-active filebeat").stdout.strip() == "active"


def test_secrets_live_in_the_keystore_only():
    run = real(filebeat_output={"type": "elasticsearch", "hosts": ["http://127.0.0.1:9"], "username": "fb",
                                "secrets": {"password": SECRET}})
    assert run.rc == 0, run.out[-4000:]
    assert SECRET not in run.out
    config = yaml.safe_load(on_host("cat /etc/filebeat/filebeat.yml").stdout)
    assert config["output.elasticsearch"]["password"] == "${ES_PASSWORD}"
    assert "ES_PASSWORD" in on_host("filebeat keystore list --path.config /etc/filebeat --path.data /var/lib/filebeat").stdout
    assert on_host("grep -rl %s /etc /var/log 2>/dev/null" % SECRET, check=False).stdout == ""
    run = real(filebeat_output={"type": "elasticsearch", "hosts": ["http://127.0.0.1:9"], "username": "fb",
                                "secrets": {"password": SECRET}})
    assert run.rc == 0 and run.changed(HOST) == 0, run.out[-4000:]


def test_inputs_dir_and_modules_are_checked_by_filebeat_and_an_input_added_needs_no_restart():
    out = {"type": "file", "path": "/var/tmp/filebeat-out"}
    run = real(filebeat_output=out, filebeat_inputs_dir=True, filebeat_modules={"system": {"syslog": {"enabled": True}}})
    assert run.rc == 0, run.out[-4000:]
    assert on_host("systemctl is-active filebeat").stdout.strip() == "active"
    pid = on_host("systemctl show -p MainPID --value filebeat").stdout.strip()
    # an input added lands in inputs.d and Filebeat takes it up without a restart
    run = real(filebeat_output=out, filebeat_inputs_dir=True, filebeat_modules={"system": {"syslog": {"enabled": True}}},
               filebeat_extra_inputs=[{"id": "added", "paths": ["/var/tmp/added.log"]}])
    assert run.rc == 0, run.out[-4000:]
    assert on_host("systemctl show -p MainPID --value filebeat").stdout.strip() == pid
    # a fileset the module does not have is refused by Filebeat itself, and the file in use stays
    good = on_host("cat /etc/filebeat/modules.d/system.yml").stdout
    run = real(filebeat_output=out, filebeat_inputs_dir=True, filebeat_modules={"system": {"no_such_fileset": {"enabled": True}}})
    assert run.rc != 0 and "failed to validate" in run.out, run.out[-3000:]
    assert on_host("cat /etc/filebeat/modules.d/system.yml").stdout == good
