from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils import fileutil


@pytest.fixture
def restore_sighup():
    before = signal.getsignal(signal.SIGHUP)
    yield
    signal.signal(signal.SIGHUP, before)


def test_a_second_release_module_waits_for_the_first_then_goes_on(tmp_path, restore_sighup):
    locks = str(tmp_path / "locks")
    # a module left running by an interrupted run: another process that holds the lock for a while
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from ansible_collections.gopherops.baremetal.plugins.module_utils import fileutil; "
        "fileutil.hold_host_lock('hello', 5, %r); print('held', flush=True); time.sleep(float(sys.argv[1]))") % locks,
        "2"], stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        assert holder.stdout.readline().strip() == "held"
        # a short wait is not enough: the error names the holder
        with pytest.raises(fileutil.HostBusy, match="pid %d" % holder.pid):
            fileutil.hold_host_lock("hello", 0.3, locks)
        assert signal.getsignal(signal.SIGHUP) != signal.SIG_IGN   # not taken: hangups still end it
        # a long enough wait gets the lock once the holder ends
        start = time.monotonic()
        fd, waited = fileutil.hold_host_lock("hello", 30, locks)
        assert holder.poll() is not None and waited > 0.5 and time.monotonic() - start < 10
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN   # taken: it finishes whatever happens
        os.close(fd)
    finally:
        holder.kill()
        holder.wait()
    fd, waited = fileutil.hold_host_lock("hello", 0, locks)
    assert waited < 0.5 and os.listdir(locks) == ["hello.release.lock"]
    os.close(fd)


def test_a_lock_directory_others_can_write_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(str(shared), 0o1777)
    with pytest.raises(fileutil.HostBusy, match="writable by it alone"):
        fileutil.hold_host_lock("hello", 0, str(shared))
    os.symlink(str(tmp_path), str(tmp_path / "link"))
    with pytest.raises(fileutil.HostBusy, match="must be a directory"):
        fileutil.hold_host_lock("hello", 0, str(tmp_path / "link"))


def test_a_module_whose_controller_went_away_gives_up_while_it_waits(tmp_path, restore_sighup):
    locks = str(tmp_path / "locks")
    fd, _waited = fileutil.hold_host_lock("hello", 0, locks)
    try:
        # another module waits, and the reader of its standard output (the connection) goes away
        waiter = subprocess.Popen([sys.executable, "-c", (
            "import sys; from ansible_collections.gopherops.baremetal.plugins.module_utils import fileutil\n"
            "try:\n    fileutil.hold_host_lock('hello', 60, %r)\nexcept fileutil.HostBusy as exc:\n"
            "    sys.stderr.write(str(exc)); sys.exit(3)\n") % locks],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
        time.sleep(0.5)
        waiter.stdout.close()
        assert waiter.wait(timeout=10) == 3
        assert "controller went away" in waiter.stderr.read()
    finally:
        os.close(fd)
