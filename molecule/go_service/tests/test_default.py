"""State of a host after the go_service role, read from the host itself."""

from __future__ import annotations

import hashlib
import json


def test_service_is_running_and_enabled(host):
    svc = host.service("hello")
    assert svc.is_running
    assert svc.is_enabled
    assert host.socket("tcp://0.0.0.0:8080").is_listening or host.socket("tcp://:::8080").is_listening


def test_release_layout(host):
    current = host.file("/opt/hello/current")
    assert current.is_symlink
    assert current.linked_to.startswith("/opt/hello/releases/1.0.0-")
    binary = host.file("/opt/hello/current/hello")
    assert (binary.user, binary.group, binary.mode) == ("root", "root", 0o755)
    shared = host.file("/opt/hello/shared")
    assert (shared.user, shared.group, shared.mode) == ("hello", "hello", 0o750)


def test_env_file_is_private_and_read_back_exactly(host):
    env = host.file("/etc/hello/hello.env")
    assert (env.user, env.group, env.mode) == ("root", "hello", 0o640)
    # What the running process really got, from /proc, not what the file says.
    pid = host.check_output("systemctl show -p MainPID --value hello")
    environ = host.check_output("sudo cat /proc/%s/environ | tr '\\0' '\\n'" % pid).splitlines()
    assert 'GREETING=say "hi" & pay $5 # not a comment' in environ
    assert "API_TOKEN=molecule-secret-token" in environ


def test_serves_the_version_and_proves_the_secret(host):
    doc = json.loads(host.check_output("curl -fsS http://127.0.0.1:8080/version"))
    assert doc["version"] == "1.0.0"
    assert doc["api_token_sha256_prefix"] == hashlib.sha256(b"molecule-secret-token").hexdigest()[:8]


def test_secret_is_not_in_the_unit_or_argv(host):
    unit = host.file("/etc/systemd/system/hello.service").content_string
    assert "molecule-secret-token" not in unit
    assert "molecule-secret-token" not in host.check_output("ps -eo args")


def test_unit_is_hardened(host):
    out = host.check_output("systemd-analyze security hello.service --no-pager | tail -1")
    exposure = float(out.split("service:")[1].split()[0])
    assert exposure <= 2.0, out


def test_second_release_was_rolled_back_to_the_first(host):
    # side_effect.yml deployed 2.0.0 and rolled back: 1.0.0 is active and healthy, 2.0.0 recorded as failed
    manifest = json.loads(host.file("/opt/hello/releases.json").content_string)
    active = manifest["active"]
    assert active.startswith("1.0.0-")
    assert host.file("/opt/hello/current").linked_to == "/opt/hello/releases/" + active
    assert manifest["last_known_good"] == active
    assert manifest["previous"].startswith("2.0.0-") and manifest["failed"] == [manifest["previous"]]
    entry = manifest["releases"][active]
    assert entry["status"] == "good" and entry["version"] == "1.0.0"
    assert entry["sha256"] == host.check_output("sha256sum /opt/hello/current/hello").split()[0]
    assert host.file("/opt/hello/releases/%s/hello" % manifest["previous"]).exists
