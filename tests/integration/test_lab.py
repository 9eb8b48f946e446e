"""The lab's own bad-input paths: each must end with one clear message and leave nothing behind."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

from conftest import ROOT

LAB = os.path.join(ROOT, "scripts", "lab.py")


def lab_cmd(*args, **env):
    full = dict(os.environ)
    full.update(env)
    return subprocess.run([sys.executable, LAB, *args], cwd=ROOT, env=full, text=True,
                          capture_output=True, timeout=300, check=False)


def test_lab_down_without_a_lab_is_a_no_op():
    res = lab_cmd("down", LAB_NAME="gopherops-itest-absent")
    assert res.returncode == 0, res.stderr
    assert "nothing to remove" in res.stdout


def test_a_port_in_use_is_named(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        name = "gopherops-itest-port"
        env = dict(LAB_NAME=name, LAB_HOSTS="1", LAB_SSH_BASE_PORT=str(port),
                   LAB_HTTP_BASE_PORT=str(port + 1), LAB_INVENTORY=str(tmp_path / "hosts.yml"))
        try:
            res = lab_cmd("up", **env)
            assert res.returncode == 2
            assert "port 127.0.0.1:%d is already in use" % port in res.stderr
            assert not (tmp_path / "hosts.yml").exists()
            ps = subprocess.run(["docker", "ps", "-aq", "--filter", "name=%s-app1" % name],
                                capture_output=True, text=True, check=True)
            assert ps.stdout.strip() == ""
        finally:
            lab_cmd("down", **env)


def test_no_engine_is_explained():
    res = lab_cmd("up", LAB_NAME="gopherops-itest-noengine", DOCKER_HOST="unix:///nonexistent/docker.sock")
    assert res.returncode == 2
    assert "no Docker engine answers" in res.stderr and "make host-deps" in res.stderr


def test_too_many_hosts_is_refused():
    res = lab_cmd("up", LAB_NAME="gopherops-itest-many", LAB_HOSTS="500")
    assert res.returncode == 2 and "LAB_HOSTS must be between 1 and" in res.stderr


def test_host_deps_without_root_or_engine_says_what_is_missing():
    # As an unprivileged user with no reachable engine, the script must stop with advice, not try apt-get.
    res = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          "env", "DOCKER_HOST=unix:///nonexistent/docker.sock", "LAB_LOG_DIR=/tmp",
                          "bash", os.path.join(ROOT, "scripts", "host-deps.sh")],
                         cwd="/tmp", text=True, capture_output=True, timeout=60, check=False)
    assert res.returncode == 1
    assert "not root" in res.stderr and "docker" in res.stderr.lower()


def test_up_on_a_running_lab_authorizes_this_checkouts_key(lab):
    # Given a running lab host whose authorized key is someone else's (another checkout's lab)
    container = "%s-%s" % (lab["name"], sorted(lab["ssh"])[0])
    subprocess.run(["docker", "exec", container, "sh", "-c",
                    "echo 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOtherCheckoutKeyOtherCheckoutKeyOtherChe other' "
                    "> /home/deploy/.ssh/authorized_keys"], check=True)
    ssh = ["ssh", "-o", "BatchMode=yes", "-i", lab["key"], "-p", str(lab["ssh"][sorted(lab["ssh"])[0]]),
           "-o", "UserKnownHostsFile=%s" % os.path.join(lab["state_dir"], "known_hosts"), "deploy@127.0.0.1", "true"]
    assert subprocess.run(ssh, capture_output=True, timeout=60, check=False).returncode != 0
    # When lab up runs again, Then this checkout's key works, without recreating the host
    res = lab_cmd("up", LAB_NAME=lab["name"])
    assert res.returncode == 0, res.stderr
    assert "(0 started now)" in res.stdout
    assert subprocess.run(ssh, capture_output=True, timeout=60, check=False).returncode == 0
