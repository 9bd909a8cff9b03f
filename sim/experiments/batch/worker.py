"""A local worker process: runs the tasks its parent sends, reports run by run, and dies with its parent.

A worker must never outlive the batch that started it (it would hold memory and the caller's
stdout).  On Linux the kernel kills it when its parent dies (``prctl(PR_SET_PDEATHSIG)``); on
every platform a watchdog thread also ends it within :data:`WATCH_INTERVAL` seconds of its
parent's death, and it exits when its parent's end of the pipe closes.  It ignores SIGINT and
SIGTERM: a Ctrl-C, ``timeout`` or a service manager signals the whole process group, and the
parent, which alone knows what is saved, stops its workers itself.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection

from ..scenario import Scenario
from .work import attempts

WATCH_INTERVAL = 0.5  # seconds between the watchdog's looks at the parent
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """End this process when process ``parent`` ends, however it ends."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the death signal was armed
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), daemon=True, name="sim-parent-watchdog").start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_INTERVAL)
    os._exit(1)


def release_freed_memory() -> None:
    """Hand the C heap's freed pages back to the system (glibc only), so a worker's memory stays flat.

    Each run allocates and frees some megabytes of arrays; glibc keeps freed heap pages, and over
    tens of thousands of runs fragmentation grew a worker from 275 to 386 MiB (100,000-run batch).
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


_MALLOC_TRIM = getattr(ctypes.CDLL(None), "malloc_trim", None) if sys.platform.startswith("linux") else None


def serve(conn: Connection, scenario: Scenario, parent: int, inherited: list[int]) -> None:
    """Worker main loop: a task (list of specs) in, an :class:`Outcome` per run out, then ``None``; ``None`` ends it."""
    for signum in (signal.SIGINT, signal.SIGTERM):  # also replaces the batch handlers a forked worker inherited
        signal.signal(signum, signal.SIG_IGN)
    for fd in inherited:  # the parent's locks and pipes, copied by fork: they must close when the parent dies
        try:
            os.close(fd)
        except OSError:
            pass
    die_with_parent(parent)
    gc.freeze()  # what the parent made stays out of the collector's sweeps, so a forked worker does not copy it
    first = True
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        for outcome in attempts(task, scenario):
            conn.send(outcome)
        conn.send(None)
        collect_garbage(first)
        first = False
        release_freed_memory()


def collect_garbage(first: bool) -> None:
    """Free the task's models now: each is a reference cycle (Mesa's Model keeps its own wrapped ``step``).

    Left to the collector's thresholds they piled up, ~3 KB a run (a worker grew 274 -> 406 MiB
    over a 100,000-run batch).  After the first task its survivors (the kernels loaded from the
    cache, numba's types) are frozen too, so each later collection sweeps one task's objects only
    (~0.1 ms, measured).
    """
    gc.collect()
    if first:
        gc.freeze()
