"""The filebeat role installing the real Filebeat from its archive: only when FILEBEAT_ARCHIVE names
Elastic's filebeat-<version>-linux-<arch>.tar.gz (downloaded beforehand); CI machines cannot
download it, so CI skips this test and says so. It proves what test_filebeat_archive.py cannot: the
unit the role writes runs the unpacked Filebeat, each file is checked by it, and events arrive."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time

import pytest

from test_filebeat_role import HOST, on_host, run_role

ARCHIVE = os.environ.get("FILEBEAT_ARCHIVE", "")

pytestmark = pytest.mark.skipif(
    not ARCHIVE, reason="FILEBEAT_ARCHIVE is not set: the test that runs the real Filebeat from its archive did not run "
                        "(set it to Elastic's filebeat-<version>-linux-<arch>.tar.gz to run it)")


def real(**extra):
    match = re.search(r"filebeat-([0-9]+\.[0-9]+\.[0-9]+)-linux-", os.path.basename(ARCHIVE))
    assert match, "cannot read a version from %s (expected filebeat-8.15.3-linux-x86_64.tar.gz)" % ARCHIVE
    with open(ARCHIVE, "rb") as fh:
        digest = hashlib.sha256(fh.read()).hexdigest()
    base = dict(filebeat_install="archive", filebeat_version=match.group(1), filebeat_archive_src=os.path.abspath(ARCHIVE),
                filebeat_archive_sha256=digest, filebeat_manage_service=True, filebeat_validate=True,
                filebeat_output={"type": "file", "path": "/var/tmp/filebeat-out"}, filebeat_inputs_dir=True)
    base.update(extra)
    return run_role(**base)


@pytest.fixture(scope="module", autouse=True)
def clean_afterwards(lab):  # pylint: disable=unused-argument
    yield
    on_host("systemctl stop filebeat; rm -rf /opt/filebeat /etc/filebeat /var/lib/filebeat /var/tmp/filebeat-out "
            "/etc/systemd/system/filebeat.service /etc/systemd/system/filebeat.service.d; systemctl daemon-reload; true",
            check=False)


def test_the_unpacked_filebeat_runs_from_the_roles_unit_and_ships_events():
    run = real()
    assert run.rc == 0, run.out[-4000:]
    assert on_host("systemctl is-active filebeat").stdout.strip() == "active"
    assert "/opt/filebeat/current/filebeat" in on_host("systemctl show -p ExecStart filebeat").stdout
    on_host("systemctl restart ssh")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        out = on_host("cat /var/tmp/filebeat-out/* 2>/dev/null", check=False).stdout
        if any(json.loads(line).get("fields", {}).get("app") == "ssh" for line in out.splitlines() if line.strip()):
            break
        time.sleep(2)
    else:
        pytest.fail("no event with fields.app=ssh reached the file output")
    run = real()
    assert run.rc == 0 and run.changed(HOST) == 0, run.out[-4000:]
