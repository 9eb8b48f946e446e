# -*- coding: utf-8 -*-
# Copyright (c) 2026 gopherops maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""File helpers shared by the modules: checksums, atomic replacement, the host-side release lock."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import select
import signal
import stat
import tempfile
import time


def sha256_file(path):
    """sha256 of a file, or None when it does not exist."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
    except FileNotFoundError:
        return None
    return digest.hexdigest()


def atomic_write(path, data, mode=0o644, uid=None, gid=None):
    """Replace path with data: a temporary file in the same directory gets its final owner and mode
    before the content goes in, is flushed to disk, then renamed over path. Readers see the old file
    or the new one, never a part, and never the new content with looser permissions."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".%s." % os.path.basename(path), dir=directory)
    try:
        if uid is not None or gid is not None:
            os.fchown(fd, -1 if uid is None else uid, -1 if gid is None else gid)
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.rename(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class HostBusy(Exception):
    """Another process holds the host-side lock past the wait, or the controller went away while
    this one waited."""


LOCK_DIR = "/run/gopherops"


def lock_dir(directory=LOCK_DIR):
    """The directory of the host-side locks: made by this (root) process, so no other user can
    put a file there first and hold it."""
    try:
        os.mkdir(directory, 0o755)
    except FileExistsError:
        pass
    st = os.lstat(directory)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
        raise HostBusy("%s must be a directory owned by uid %d and writable by it alone (remove it; it is made "
                       "again)" % (directory, os.geteuid()))
    return directory


def controller_gone(fd=1):
    """True when the reader of our standard output (the connection to the controller) closed it."""
    try:
        poller = select.poll()
        poller.register(fd, select.POLLERR | select.POLLHUP)
        return any(ev & (select.POLLERR | select.POLLHUP | select.POLLNVAL) for _fd, ev in poller.poll(0))
    except (OSError, ValueError):
        return False


def hold_host_lock(name, wait, directory=LOCK_DIR):
    """Take the exclusive lock of name's releases on this host and keep it until the process exits
    (the descriptor is returned and stays open). A release module that an interrupted run left
    running (its connection closed, its process not) holds it: the next one waits up to wait seconds
    for it to finish, then raises HostBusy naming its pid. A module whose own controller goes away
    while it waits gives up without changing anything. Returns (fd, seconds waited).

    From here on the process ignores SIGHUP: when the controller goes away (Ctrl-C, a lost
    connection) the module still ends its work on the host instead of dying between stopping the
    service and starting it again."""
    path = os.path.join(lock_dir(directory), "%s.release.lock" % name.replace("/", "_"))
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    start = time.monotonic()
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
        if controller_gone():
            os.close(fd)
            raise HostBusy("the controller went away while this waited for %s; nothing was changed" % path)
        if time.monotonic() - start >= wait:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise HostBusy("another release of %s is still being deployed on this host (pid %s, lock %s); waited %d s "
                           "for it to finish" % (name, holder, path, wait))
        time.sleep(0.2)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
    return fd, round(time.monotonic() - start, 3)
