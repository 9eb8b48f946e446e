"""The deploy lock and the audit log on real hosts: a lock held by another run stops the deploy
before any change and names its owner; an expired one is broken only when asked; every run leaves
one audit line per host and releases its locks."""

from __future__ import annotations

import json
import re
import socket
import subprocess

from conftest import Background, get_json, playbook
from test_deploy import VERSION, manifest, ssh

LOCK = "/var/lib/gopherops/locks/hello.lock"


def put_lock(lab, host, started, ttl):
    lock = {"app": "hello", "run_id": "other-run-1", "owner": "alice@elsewhere", "controller": "elsewhere",
            "pid": 1, "started": started, "ttl": ttl}
    res = ssh(lab, host, "sudo install -d /var/lib/gopherops/locks && echo '%s' | sudo tee %s >/dev/null"
              % (json.dumps(lock), LOCK))
    assert res.returncode == 0, res.stderr


def audit_lines(lab, host):
    res = ssh(lab, host, "sudo cat /var/log/hello/deploy.log")
    assert res.returncode == 0, res.stderr
    return [json.loads(line) for line in res.stdout.splitlines()]


def test_a_run_leaves_one_audit_line_per_host_and_no_lock(lab):
    hosts = sorted(lab["hosts"])
    before = {h: len(audit_lines(lab, h)) if ssh(lab, h, "sudo test -f /var/log/hello/deploy.log").returncode == 0 else 0
              for h in hosts}
    run = playbook("deploy.yml")
    assert run.rc == 0, run.out[-4000:]
    run_ids = set()
    for host in hosts:
        lines = audit_lines(lab, host)
        assert len(lines) == before[host] + 1
        last = lines[-1]
        assert last["host"] == host and last["app"] == "hello" and last["result"] in ("deployed", "unchanged")
        assert last["to"] == manifest(lab, host)["active"] and len(last["sha256"]) == 64
        assert "@" in last["owner"]
        run_ids.add(last["run_id"])
        assert ssh(lab, host, "sudo test -e %s" % LOCK).returncode != 0, "lock left on %s" % host
    assert len(run_ids) == 1     # one run id for the whole run


def test_a_lock_held_by_another_run_stops_before_any_change(lab):
    hosts = sorted(lab["hosts"])
    put_lock(lab, hosts[1], "2099-01-01T00:00:00Z", 3600)
    try:
        before = {h: manifest(lab, h) for h in hosts}
        run = playbook("deploy.yml", extra_vars={"app_version": "1.0.7-locked"})
        assert run.rc != 0
        assert "%s is locked by alice@elsewhere (run other-run-1" % hosts[1] in run.out, run.out[-3000:]
        assert "No host was changed" in run.out
        for host in hosts:
            assert manifest(lab, host) == before[host]
            assert get_json(lab["hosts"][host])["version"] == VERSION
        # our locks on the other hosts are gone, the other run's lock is untouched
        for host in hosts:
            present = ssh(lab, host, "sudo cat %s" % LOCK)
            if host == hosts[1]:
                assert "other-run-1" in present.stdout
            else:
                assert present.returncode != 0, "lock left on %s" % host
    finally:
        ssh(lab, hosts[1], "sudo rm -f %s" % LOCK)


def test_an_expired_lock_is_broken_only_when_asked(lab):
    hosts = sorted(lab["hosts"])
    put_lock(lab, hosts[0], "2020-01-01T00:00:00Z", 60)
    try:
        run = playbook("deploy.yml")
        assert run.rc != 0 and "is locked by alice@elsewhere" in run.out, run.out[-3000:]
        run = playbook("deploy.yml", extra_vars={"rollout_lock_break": True})
        assert run.rc == 0, run.out[-4000:]
        assert "broke the expired lock of alice@elsewhere" in run.out
        assert ssh(lab, hosts[0], "sudo test -e %s" % LOCK).returncode != 0
    finally:
        ssh(lab, hosts[0], "sudo rm -f %s" % LOCK)


def test_bad_serial_is_refused_before_any_host_is_touched(lab):
    run = playbook("deploy.yml", extra_vars={"rollout_serial": [1, "fast"]})
    assert run.rc != 0 and "deploy_serial: 'fast' is not a number of hosts" in run.out, run.out[-3000:]
    assert "Take the deploy lock" not in run.out


def test_a_build_that_fails_releases_every_lock_and_changes_nothing(lab, tmp_path):
    hosts = sorted(lab["hosts"])
    before = {h: manifest(lab, h) for h in hosts}
    run = playbook("deploy.yml", extra_vars={"app_version": "1.0.8-nobuild", "go_build_ldflags": "-X"})
    assert run.rc != 0
    # one message, without a host's name in front of the build's reason
    assert re.search(r"No host was changed\. go_build: build failed for linux_\w+", run.out), run.out[-3000:]
    for host in hosts:
        assert manifest(lab, host) == before[host]
        assert ssh(lab, host, "sudo test -e %s" % LOCK).returncode != 0, "lock left on %s" % host


def test_a_lock_left_by_a_dead_process_of_this_controller_is_taken_over(lab, tmp_path):
    hosts = sorted(lab["hosts"])
    # a process id that surely ran here and is gone now
    gone = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True).stdout.strip()
    lock = {"app": "hello", "run_id": "interrupted-1", "owner": "ops@%s" % socket.gethostname(),
            "controller": socket.gethostname(), "pid": int(gone), "started": "2099-01-01T00:00:00Z", "ttl": 3600}
    res = ssh(lab, hosts[2], "sudo install -d /var/lib/gopherops/locks && echo '%s' | sudo tee %s >/dev/null"
              % (json.dumps(lock), LOCK))
    assert res.returncode == 0, res.stderr
    audit = tmp_path / "controller-audit.log"
    try:
        run = playbook("deploy.yml", extra_vars={"rollout_controller_audit_log": str(audit)})
        assert run.rc == 0, run.out[-4000:]
        assert "took over the lock of ops@" in run.out and "run interrupted-1" in run.out
        assert ssh(lab, hosts[2], "sudo test -e %s" % LOCK).returncode != 0
    finally:
        ssh(lab, hosts[2], "sudo rm -f %s" % LOCK)
    # the controller's audit log got one line for the run, naming every host's result
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    assert len(lines) == 1 and lines[0]["result"] == "ok" and lines[0]["app"] == "hello"
    assert sorted(lines[0]["hosts"]) == hosts and set(lines[0]["hosts"].values()) <= {"unchanged", "deployed"}
    assert oct(audit.stat().st_mode & 0o777) == "0o640"


def test_two_slices_deploy_at_once(lab):
    # AWX job slicing runs the same template over disjoint parts of the inventory at the same time;
    # here two runs over two halves of the lab, on one controller with one build directory
    hosts = sorted(lab["hosts"])
    halves = [hosts[: len(hosts) // 2], hosts[len(hosts) // 2:]]
    version = "1.0.9-sliced"
    runs = [Background("deploy.yml", "--limit", ",".join(half), extra_vars={"app_version": version}) for half in halves]
    results = [run.finish() for run in runs]
    # Then neither waits for or stops the other (locks are per host), and both slices end on one release:
    # the build is reproducible, so both runs made the same binary and the same release id
    for run in results:
        assert run.rc == 0, run.out[-4000:]
    assert {get_json(lab["hosts"][h])["version"] for h in hosts} == {version}
    assert len({manifest(lab, h)["active"] for h in hosts}) == 1
    lines = [[audit_lines(lab, h)[-1] for h in half] for half in halves]
    run_ids = [{line["run_id"] for line in half} for half in lines]
    assert all(len(ids) == 1 for ids in run_ids) and run_ids[0] != run_ids[1], run_ids
    # the two runs overlapped in time: one did not wait for the other to finish
    spans = [(min(x["started"] for x in half), max(x["finished"] for x in half)) for half in lines]
    assert spans[0][0] < spans[1][1] and spans[1][0] < spans[0][1], spans
    # And a run over the whole fleet finds nothing to do
    again = playbook("deploy.yml", extra_vars={"app_version": version})
    assert again.rc == 0 and sum(r["changed"] for r in again.recap.values()) == 0, again.out[-4000:]
