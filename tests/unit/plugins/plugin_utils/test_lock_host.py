from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys

from ansible_collections.gopherops.baremetal.plugins.plugin_utils import lock_host


def run_program(**args):
    """Run the file as the deploy_lock action does: python3 -c <source> <json>."""
    with open(lock_host.__file__, encoding="utf-8") as fh:
        source = fh.read()
    proc = subprocess.run([sys.executable, "-c", source, json.dumps(args)], capture_output=True, text=True, check=False)
    return proc.returncode, json.loads(proc.stdout)


def lock_data(run_id):
    return json.dumps({"run_id": run_id, "owner": "ops@ctl"}) + "\n"


def test_first_run_creates_the_lock_and_a_second_is_told_who_holds_it(tmp_path):
    path = str(tmp_path / "locks" / "hello.lock")
    rc, first = run_program(op="lock", path=path, data=lock_data("r1"))
    assert rc == 0 and first["created"] and json.loads(first["lock"])["run_id"] == "r1"
    assert first["architecture"] and first["system"] == "Linux"
    rc, second = run_program(op="lock", path=path, data=lock_data("r2"))
    assert rc == 0 and not second["created"] and json.loads(second["lock"])["run_id"] == "r1"
    assert os.listdir(str(tmp_path / "locks")) == ["hello.lock"]   # no temporary file left


def test_replace_needs_the_exact_content_it_decided_on(tmp_path):
    path = str(tmp_path / "hello.lock")
    run_program(op="lock", path=path, data=lock_data("old"))
    _rc, stale = run_program(op="lock", path=path, data=lock_data("new"), replace=lock_data("someone else"))
    assert not stale["created"] and json.loads(stale["lock"])["run_id"] == "old"
    _rc, taken = run_program(op="lock", path=path, data=lock_data("new"), replace=lock_data("old"))
    assert taken["created"] and json.loads(taken["lock"])["run_id"] == "new"


def test_unlock_removes_only_this_runs_lock_and_writes_the_audit_line(tmp_path):
    path, log = str(tmp_path / "hello.lock"), str(tmp_path / "log" / "deploy.log")
    run_program(op="lock", path=path, data=lock_data("r1"))
    _rc, other = run_program(op="unlock", path=path, run_id="r2", audit_log=log, audit_line='{"run_id": "r2"}')
    assert not other["released"] and os.path.exists(path) and other["audited"]
    _rc, mine = run_program(op="unlock", path=path, run_id="r1", audit_log=log, audit_line='{"run_id": "r1"}')
    assert mine["released"] and not os.path.exists(path)
    with open(log) as fh:
        assert [json.loads(line)["run_id"] for line in fh] == ["r2", "r1"]
    assert stat.S_IMODE(os.stat(log).st_mode) == 0o640


def test_a_host_left_out_of_the_load_balancer_is_marked_until_a_run_puts_it_back(tmp_path):
    path = str(tmp_path / "hello.lock")
    run_program(op="lock", path=path, data=lock_data("r1"))
    # a run that no longer holds the lock leaves the marker alone
    _rc, other = run_program(op="unlock", path=path, run_id="r0", out_of_lb=True)
    assert not other["released"] and other["out_of_lb"] is None
    _rc, out = run_program(op="unlock", path=path, run_id="r1", out_of_lb=True)
    assert out["released"] and json.loads(out["out_of_lb"]) == {"run_id": "r1"}
    # the next run is told, whatever it asks
    for op in ("lock", "query"):
        _rc, seen = run_program(op=op, path=path, data=lock_data("r2"))
        assert json.loads(seen["out_of_lb"]) == {"run_id": "r1"}, op
    # unset leaves the marker; false removes it
    _rc, kept = run_program(op="unlock", path=path, run_id="r2")
    assert kept["released"] and kept["out_of_lb"] is not None
    run_program(op="lock", path=path, data=lock_data("r3"))
    _rc, back = run_program(op="unlock", path=path, run_id="r3", out_of_lb=False)
    assert back["out_of_lb"] is None and os.listdir(str(tmp_path)) == []


def test_a_failure_is_reported_as_json(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    rc, out = run_program(op="lock", path=str(blocker / "hello.lock"), data=lock_data("r1"))
    assert rc == 1 and out["failed"] and "Error: " in out["msg"]


def test_the_release_a_process_runs_is_read_from_its_executable(tmp_path):
    # a real process started through a current link, as systemd starts the service
    base = tmp_path / "opt"
    for rid in ("1.0.0-aaaa", "2.0.0-bbbb"):
        os.makedirs(str(base / "releases" / rid))
        shutil.copy2(shutil.which("sleep"), str(base / "releases" / rid / "hello"))
    os.symlink("releases/1.0.0-aaaa", str(base / "current"))
    proc = subprocess.Popen([str(base / "current" / "hello"), "30"])
    try:
        # the link moves on, the process keeps the binary it was started from
        os.unlink(str(base / "current"))
        os.symlink("releases/2.0.0-bbbb", str(base / "current"))
        assert lock_host.release_of_pid(proc.pid, str(base)) == "1.0.0-aaaa"
        # also when that release's binary was deleted under it
        os.unlink(str(base / "releases" / "1.0.0-aaaa" / "hello"))
        assert lock_host.release_of_pid(proc.pid, str(base)) == "1.0.0-aaaa"
    finally:
        proc.kill()
        proc.wait()
    # a process that does not run from a release, and one that is gone, tell nothing
    assert lock_host.release_of_pid(os.getpid(), str(base)) is None
    assert lock_host.release_of_pid(proc.pid, str(base)) is None


def test_unlock_removes_the_kept_backups_only_when_it_releases_this_runs_lock(tmp_path):
    path, backups = str(tmp_path / "hello.lock"), tmp_path / "opt" / ".previous"
    backups.mkdir(parents=True)
    (backups / "env").write_text("API_TOKEN=old\n")
    run_program(op="lock", path=path, data=lock_data("r1"))
    # another run's unlock (its lock was taken over) leaves them
    _rc, other = run_program(op="unlock", path=path, run_id="r0", backups_dir=str(backups))
    assert not other["released"] and (backups / "env").exists()
    _rc, mine = run_program(op="unlock", path=path, run_id="r1", backups_dir=str(backups))
    assert mine["released"] and not backups.exists() and (tmp_path / "opt").is_dir()


def test_the_units_state_comes_from_one_systemctl_show():
    assert lock_host.unit_state("ActiveState=active\nUnitFileState=enabled\nMainPID=4242\n") == (True, True, "4242")
    assert lock_host.unit_state("MainPID=0\nActiveState=failed\nUnitFileState=disabled\n") == (False, False, None)
    assert lock_host.unit_state("ActiveState=reloading\nUnitFileState=static\nMainPID=7\n") == (True, True, "7")
    # a unit systemd does not know
    assert lock_host.unit_state("ActiveState=inactive\nUnitFileState=\nMainPID=0\n") == (False, False, None)
    assert lock_host.unit_state("") == (False, False, None)
