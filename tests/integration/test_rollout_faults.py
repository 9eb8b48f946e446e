"""Rollouts that meet trouble on real hosts: a second run at the same time, a host killed in the
middle of its batch, and Ctrl-C on the controller. Each time no host is left without a running
service, locks are released or plainly stale, and a rerun completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from conftest import Background, get_json, playbook
from prober import haproxy_statuses
from test_deploy import manifest, ssh

LOCK = "/var/lib/gopherops/locks/hello.lock"
DEPLOY_TASK = "TASK [gopherops.baremetal.go_service : Deploy the release, gated by its health checks]"


def lock_on(lab, host):
    res = ssh(lab, host, "sudo cat %s 2>/dev/null || true" % LOCK)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout) if res.stdout.strip() else None


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_serving(lab, host, timeout=90):
    """The version the host serves once its service answers (after a restart or a reboot)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return get_json(lab["hosts"][host])["version"]
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def lb_states(lab):
    return haproxy_statuses(next(iter(lab["lb"].values()))["container"]) if lab["lb"] else {}


def wait_lb_up(lab, timeout=30):
    deadline = time.monotonic() + timeout
    while lab["lb"] and any(not st.startswith("UP") for st in lb_states(lab).values()):
        if time.monotonic() > deadline:
            pytest.fail("HAProxy still has servers out of rotation: %s" % lb_states(lab))
        time.sleep(0.5)


@pytest.fixture(autouse=True)
def default_version_after(lab):
    yield
    # leave the lab on the default release for the suites that follow
    run = playbook("deploy.yml")
    assert run.rc == 0, run.out[-3000:]


def test_a_second_run_fails_fast_naming_the_first_which_completes(lab):
    hosts = sorted(lab["hosts"])
    # Given a rollout that holds its locks (its canary soak keeps it running a while)
    first = Background("deploy.yml", extra_vars={
        "app_version": "3.0.0", "rollout_owner": "first@ops", "rollout_canary_soak": 15})
    first.wait_for("TASK [gopherops.baremetal.rollout : Remember the hosts this run has locked]")
    # When a second run starts
    second = playbook("deploy.yml", extra_vars={"app_version": "3.0.1", "rollout_owner": "second@ops"})
    # Then it stops while the first still runs, naming the first run's owner, having changed nothing
    assert first.running(), "the first run ended before the second was refused"
    assert second.rc != 0
    assert "is locked by first@ops (run " in second.out, second.out[-3000:]
    assert "No host was changed" in second.out
    # And the first run completes: every host on its release, no lock left, the second release nowhere
    done = first.finish()
    assert done.rc == 0, done.out[-4000:]
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == "3.0.0"
        assert not any(r.startswith("3.0.1") for r in manifest(lab, host)["releases"])
        assert lock_on(lab, host) is None


def test_a_host_killed_in_the_middle_of_its_batch(lab):
    hosts = sorted(lab["hosts"])                   # batches: [h1], [h2], [h3, h4]
    victim, container = hosts[1], "%s-%s" % (lab["name"], hosts[1])
    before = {h: get_json(lab["hosts"][h])["version"] for h in hosts}
    run = Background("deploy.yml", extra_vars={"app_version": "3.1.0"})
    try:
        # each batch prints the task once: the second is batch 2
        run.wait_for(DEPLOY_TASK, count=2)
        subprocess.run(["docker", "kill", container], check=True, capture_output=True, timeout=60)
        done = run.finish()
        # Then the run stops there, naming the host, and no later batch starts
        assert done.rc != 0
        assert "%s failed at the deploy phase" % victim in done.out or "unreachable" in done.out, done.out[-4000:]
        assert wait_serving(lab, hosts[0]) == "3.1.0"
        for host in hosts[2:]:
            # the remaining hosts still serve, on the release they had, with no lock left
            assert get_json(lab["hosts"][host])["version"] == before[host]
            assert lock_on(lab, host) is None
        assert lock_on(lab, hosts[0]) is None
        states = lb_states(lab)
        assert all(states[h].startswith("UP") for h in hosts if h != victim), states
    finally:
        subprocess.run(["docker", "start", container], check=True, capture_output=True, timeout=60)
    # When the host is back and the rollout runs again
    wait_serving(lab, victim)
    again = playbook("deploy.yml", extra_vars={"app_version": "3.1.0"})
    # Then it completes: every host on the release and in HAProxy, no lock anywhere
    assert again.rc == 0, again.out[-4000:]
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == "3.1.0"
        assert lock_on(lab, host) is None
    wait_lb_up(lab)


def test_ctrl_c_in_the_middle_of_a_batch(lab):
    hosts = sorted(lab["hosts"])
    run = Background("deploy.yml", extra_vars={"app_version": "3.2.0"})
    run.wait_for(DEPLOY_TASK, count=2)   # batch 2
    time.sleep(1)
    # When the operator presses Ctrl-C (SIGINT to the whole foreground process group)
    os.killpg(run.proc.pid, signal.SIGINT)
    done = run.finish(timeout=120)
    assert done.rc != 0
    # Then every host still runs the service and answers, whatever release it is on
    time.sleep(3)      # a restart the interrupted task had started finishes on the host
    for host in hosts:
        assert ssh(lab, host, "systemctl is-active hello").stdout.strip() == "active", host
        assert wait_serving(lab, host, timeout=30)
        # and its lock is gone or plainly stale: this controller, a process that no longer runs
        lock = lock_on(lab, host)
        if lock is not None:
            assert lock["pid"] == run.proc.pid and not pid_alive(lock["pid"]), lock
    # And a rerun takes the stale locks over and completes
    again = playbook("deploy.yml", extra_vars={"app_version": "3.2.0"})
    assert again.rc == 0, again.out[-4000:]
    for host in hosts:
        assert get_json(lab["hosts"][host])["version"] == "3.2.0"
        assert lock_on(lab, host) is None
    wait_lb_up(lab)


def test_a_process_left_on_the_release_before_is_restarted(lab):
    hosts = sorted(lab["hosts"])
    host = hosts[0]
    for version in ("3.3.0", "3.3.1"):
        run = playbook("deploy.yml", extra_vars={"app_version": version})
        assert run.rc == 0, run.out[-3000:]
    doc = manifest(lab, host)
    new = doc["active"]
    old = next(rid for rid in doc["releases"] if rid.startswith("3.3.0-"))
    # Given a host whose current link and manifest name 3.3.1 but whose process runs 3.3.0, as a run
    # stopped between the switch and the restart leaves it
    # (the link goes back only once the new process has resolved it)
    res = ssh(lab, host, "cd /opt/hello && sudo ln -sfn releases/{old} current && sudo systemctl restart hello && "
                         "for i in $(seq 100); do sudo readlink /proc/$(systemctl show -p MainPID --value hello)/exe "
                         "| grep -q /{old}/ && break; sleep 0.1; done && "
                         "sudo ln -sfn releases/{new} current".format(old=old, new=new))
    assert res.returncode == 0, res.stderr
    assert wait_serving(lab, host) == "3.3.0" and manifest(lab, host)["last_known_good"] == new
    # When the same release is deployed again
    again = playbook("deploy.yml", extra_vars={"app_version": "3.3.1"})
    # Then the plan names that host (and only it) as needing a restart, and it serves 3.3.1 afterwards
    assert again.rc == 0, again.out[-3000:]
    plan = [line for line in again.out.splitlines() if "3.3.1-" in line and line.strip().startswith('"app')]
    assert any(line.strip().strip('",').split()[0] == host and line.rstrip('",').endswith("restarted") for line in plan), plan
    assert again.changed(host) and not any(again.changed(h) for h in hosts[1:]), again.out[-3000:]
    for h in hosts:
        assert get_json(lab["hosts"][h])["version"] == "3.3.1"
    wait_lb_up(lab)
