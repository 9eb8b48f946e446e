from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

import pytest

from ansible_collections.gopherops.baremetal.plugins.module_utils import fileutil


def test_a_second_release_module_waits_for_the_first_then_goes_on():
    name = "test-%s" % uuid.uuid4().hex[:8]
    # a module left running by an interrupted run: another process that holds the lock for a while
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from ansible_collections.gopherops.baremetal.plugins.module_utils import fileutil; "
        "fileutil.hold_host_lock(%r, 5); print('held', flush=True); time.sleep(float(sys.argv[1]))") % name, "2"],
        stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    try:
        assert holder.stdout.readline().strip() == "held"
        # a short wait is not enough: the error names the holder
        with pytest.raises(fileutil.HostBusy, match="pid %d" % holder.pid):
            fileutil.hold_host_lock(name, 0.3)
        # a long enough wait gets the lock once the holder ends
        start = time.monotonic()
        fd, waited = fileutil.hold_host_lock(name, 30)
        assert holder.poll() is not None and waited > 0.5 and time.monotonic() - start < 10
        os.close(fd)
    finally:
        holder.kill()
        holder.wait()
    fd, waited = fileutil.hold_host_lock(name, 0)
    assert waited < 0.5
    os.close(fd)
    for directory in ("/run/lock", "/run"):
        path = os.path.join(directory, "gopherops-%s.release.lock" % name)
        if os.path.exists(path):
            os.unlink(path)
