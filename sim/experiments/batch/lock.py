"""One writer per results folder: an OS file lock held for the whole batch.

The lock is ``flock`` on ``DIR/.lock`` (``msvcrt.locking`` on Windows), which the operating
system drops when the holder's process ends in any way, so a killed batch never leaves a stale
lock behind.  The file itself stays; it names the last holder (PID, start time, command) so a
refused second writer can say who holds the folder.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

from .errors import BatchConflict

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

HELD: set[int] = set()  # descriptors of locks this process holds; a forked worker closes its copies


class FolderLock:
    """The exclusive lock on one results folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / ".lock"
        self.fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise :class:`BatchConflict` naming the holder's PID and start time."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        if not _try_lock(fd):
            holder = _describe(fd)
            os.close(fd)
            raise BatchConflict(f"{self.root} is being written by another `sim batch` ({holder}); two batches must "
                                "not write one folder. Wait for it to finish, or choose another --out.")
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                  "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                  "command": " ".join(sys.argv)}).encode())
        self.fd = fd
        HELD.add(fd)

    def holder(self) -> str | None:
        """Who holds the lock now (PID, start time, command), or None when nobody does; changes nothing."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            return None if _try_lock(fd) else _describe(fd)
        finally:
            os.close(fd)  # also drops the lock if we just took it

    def release(self) -> None:
        if self.fd is not None:
            HELD.discard(self.fd)
            os.close(self.fd)
            self.fd = None


def _describe(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    try:
        holder = json.loads(os.read(fd, 4096))
        return f"PID {holder['pid']} on {holder['host']}, started {holder['started']}: {holder['command']}"
    except (ValueError, KeyError, TypeError):
        return "a process that has just started"
