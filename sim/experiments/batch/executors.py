"""Where runs execute: supervised local worker processes, or a dask.distributed cluster.

Both yield :class:`~sim.batch.work.Outcome` objects for the caller to commit, hold a bounded
number of tasks in flight (parent memory stays flat in the number of runs) and stop promptly
once :class:`~sim.batch.shutdown.Shutdown` records a signal, handing back what had finished.

Locally the parent watches each worker: a run that exceeds the time limit has its worker
killed, a worker that dies (the out-of-memory killer, a crash) has its run recorded as failed
with the reason; either way a new worker takes over the rest of the task and the batch goes on.

On Dask, workers that see the output folder (a shared file system: checked by a token the parent
writes and every worker must read back) write each task's chunk there themselves and send back a
receipt of a few hundred bytes, not the weekly series; workers that do not see it send the results.
"""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from collections import deque
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from multiprocessing import get_context, util
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from sim.simulation.checks import shown
from sim.simulation.provenance import compile_kernels

from ..scenario import Scenario
from . import lock
from .shutdown import Shutdown
from .specs import RunSpec
from .store import Written, write_chunk
from .work import Outcome, execute, failed
from .worker import serve

DASK_POLL = 0.2  # seconds between looks at the shutdown flag while Dask futures run
# a worker's finalizer runs at exit before multiprocessing terminates (SIGTERM) and joins its children;
# multiprocessing.Pool registers its own at 15 the same way
EXIT_PRIORITY = 20


def start_method() -> str:
    """``fork`` on Linux: workers inherit the loaded numba kernels and start in milliseconds, where a
    spawned worker spends ~3 s importing and loading the cache (measured; it cost 2 workers more than
    1 on short batches).  Elsewhere ``spawn``, as fork is unsafe on macOS and absent on Windows."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


@dataclass
class _Job:
    """The task a worker is on: how many of its runs it has reported, and when the current one started."""

    task: list[RunSpec]
    since: float
    outcome: Outcome = field(default_factory=Outcome)

    @property
    def current(self) -> RunSpec:
        return self.task[len(self.outcome)]


class _Worker:
    """One local worker process and the pipe to it.

    A worker ignores SIGTERM (see :mod:`~sim.batch.worker`) and ends when its pipe closes, so the
    parent must never be left waiting for it: multiprocessing's exit handler only sends SIGTERM to
    its children and then joins them, forever for a worker whose pipe is still open.  Hence a
    finalizer that kills it: run by :meth:`end`, when the object is collected, or at the parent's
    exit before that handler joins, whichever comes first.
    """

    def __init__(self, scenario: Scenario, siblings: list[_Worker]) -> None:
        context = get_context(start_method())
        self.conn, child = context.Pipe()
        inherited = [*lock.HELD, *(w.conn.fileno() for w in siblings), self.conn.fileno()] \
            if start_method() == "fork" else []
        self.process = context.Process(target=serve, args=(child, scenario, os.getpid(), inherited), daemon=True,
                                       name="sim-worker")
        self.process.start()
        child.close()
        self._finalizer = util.Finalize(self, _stop, args=(self.process, self.conn), exitpriority=EXIT_PRIORITY)
        self.job: _Job | None = None

    def give(self, task: list[RunSpec]) -> None:
        self.conn.send(task)
        self.job = _Job(task, time.monotonic())

    def receive(self) -> Outcome | None:
        """Take what the worker sent; the task's outcome once it is complete, else None (EOFError: it died)."""
        job = self.job
        assert job is not None
        while self.conn.poll():
            message = self.conn.recv()
            if message is None:
                self.job = None
                return job.outcome
            job.outcome.add(message)
            job.since = time.monotonic()
        return None

    def end(self) -> None:
        """Kill the process if it still runs, reap it (its exit code then says how it died), close the pipe."""
        self._finalizer()


def _stop(process: BaseProcess, conn: Connection) -> None:
    if process.is_alive():
        process.kill()
    process.join()
    conn.close()


class _Queue:
    """Tasks still to give: the rest of interrupted tasks first, then the caller's, drawn only when a worker is free."""

    def __init__(self, tasks: Iterable[list[RunSpec]]) -> None:
        self.returned: deque[list[RunSpec]] = deque()
        self.coming = iter(tasks)

    def take(self) -> list[RunSpec] | None:
        return self.returned.popleft() if self.returned else next(self.coming, None)

    def put_back(self, task: list[RunSpec]) -> None:
        self.returned.appendleft(task)


def local(tasks: Iterable[list[RunSpec]], scenario: Scenario, workers: int, limit: float,
          shutdown: Shutdown) -> Generator[Outcome, None, None]:
    """Run tasks on ``workers`` supervised processes, one task each at a time, each run within ``limit`` seconds.

    ``tasks`` may be a generator; it is drawn from as workers become free.
    """
    queue = _Queue(tasks)
    pool: list[_Worker] = []
    if start_method() == "fork" and scenario.engine == "numba":
        compile_kernels()  # loaded once here, not once per worker per batch (~0.3 s of a 3 s batch, measured)
    try:
        for _ in range(workers):
            pool.append(_Worker(scenario, pool))
        while shutdown.requested is None:
            for k, worker in enumerate(pool):
                if worker.job is None and (task := queue.take()) is not None:
                    if not worker.process.is_alive():  # died between tasks: no run of it was lost
                        pool[k] = worker = _respawn(worker, pool, scenario)
                    worker.give(task)
            busy = [w for w in pool if w.job is not None]
            if not busy:
                return
            deadline = min(w.job.since for w in busy if w.job) + limit
            ready = wait([shutdown, *(w.conn for w in busy), *(w.process.sentinel for w in busy)],
                         timeout=max(0.0, deadline - time.monotonic()))
            if shutdown.requested is not None:
                break
            for worker in busy:
                done, dead = _receive(worker)
                if done is not None:
                    yield done
                elif dead or worker.process.sentinel in ready:
                    worker.end()  # reaped, so its exit code says how it died
                    yield _recover(worker, pool, scenario, queue,
                                   f"WorkerDied: the worker process running it {_exit_reason(worker.process.exitcode)}")
                elif worker.job and time.monotonic() - worker.job.since >= limit:
                    yield _recover(worker, pool, scenario, queue, f"RunTimeLimit: the run took longer than the limit "
                                                                  f"of {limit:g} s; its worker process was killed")
        for worker in pool:  # stopped by a signal: what the workers had finished is still saved
            done, _ = _receive(worker) if worker.job is not None else (None, False)
            partial = done or (worker.job.outcome if worker.job is not None else None)
            if partial:
                yield partial
    finally:
        for worker in pool:
            worker.end()


def _receive(worker: _Worker) -> tuple[Outcome | None, bool]:
    """The worker's completed task (or None) and whether its pipe closed (it died)."""
    try:
        return worker.receive(), False
    except (EOFError, OSError):
        return None, True


def _respawn(worker: _Worker, pool: list[_Worker], scenario: Scenario) -> _Worker:
    worker.end()
    return _Worker(scenario, [w for w in pool if w is not worker])


def _recover(worker: _Worker, pool: list[_Worker], scenario: Scenario, queue: _Queue, why: str) -> Outcome:
    """End a worker mid-task: record its current run as failed with ``why``, requeue the rest, start a successor."""
    job = worker.job
    assert job is not None
    outcome = job.outcome
    outcome.add(failed(job.current, why))
    rest = job.task[len(outcome):]
    if rest:
        queue.put_back(rest)
    pool[pool.index(worker)] = _respawn(worker, pool, scenario)
    return outcome


def _exit_reason(code: int | None) -> str:
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        hint = " (the out-of-memory killer sends this)" if -code == signal.SIGKILL else ""
        return f"was killed by {name}{hint}"
    return f"exited with status {code}"


def on_dask(tasks: Iterable[list[RunSpec]], scenario: Scenario, client: Any, limit: float, shutdown: Shutdown,
            into: tuple[str, dict[str, Any]] | None = None) -> Generator[Outcome | Written, None, None]:
    """Run tasks on a dask.distributed cluster, one per worker in flight, releasing each result.

    With ``into`` (the chunk folder and the fingerprint, see :meth:`ResultFolder.destination`) each
    worker writes its task's chunk and yields a :class:`Written` receipt; without, the whole outcome.
    Workers that join later (jobs that leave a cluster's queue) get tasks as they come.  A task whose
    worker was lost (``KilledWorker``) or that raised has all its runs recorded as failed.  Dask cannot
    stop a task once it runs: one that exceeds ``limit`` per run is cancelled and its runs recorded as
    failed, but the thread running it stays busy.
    """
    from distributed import wait as dask_wait

    queue = iter(tasks)
    pending: dict[Any, tuple[list[RunSpec], float]] = {}

    def top_up() -> None:
        while len(pending) < dask_workers(client) and (task := next(queue, None)) is not None:
            future = (client.submit(execute, task, scenario, pure=False) if into is None
                      else client.submit(execute_into, task, scenario, *into, pure=False))
            pending[future] = (task, time.monotonic())

    top_up()
    try:
        while pending and shutdown.requested is None:
            try:
                done = dask_wait(list(pending), timeout=DASK_POLL, return_when="FIRST_COMPLETED").done
            except TimeoutError:
                done = set()
            overdue = {f for f, (task, start) in pending.items() if time.monotonic() - start > limit * len(task)}
            for future in done | overdue:
                task, _ = pending.pop(future)
                yield _dask_outcome(future, task, limit)
                future.release()
            top_up()
    finally:
        for future in pending:
            future.cancel()


def execute_into(task: list[RunSpec], scenario: Scenario, directory: str, fingerprint: dict[str, Any]) -> Written:
    """What a Dask worker that sees the output folder runs: the task, saved there as one uncommitted chunk."""
    return write_chunk(Path(directory), execute(task, scenario), fingerprint)


def workers_see(client: Any, directory: str) -> bool:
    """Whether every Dask worker reads back a token just written into ``directory`` (one shared file system)."""
    token = secrets.token_hex(8)
    probe = Path(directory) / f".probe-{token}"
    probe.write_text(token, encoding="utf-8")
    try:
        answers = client.run(_read_probe, str(probe))
    finally:
        probe.unlink(missing_ok=True)
    return bool(answers) and all(answer == token for answer in answers.values())


def _read_probe(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return None


def _dask_outcome(future: Any, task: list[RunSpec], limit: float) -> Outcome:
    if not future.done():
        future.cancel()
        return _all_failed(task, f"RunTimeLimit: the task took longer than {limit:g} s per run on Dask; cancelled")
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - a lost worker or a task error fails the task's runs, not the batch
        return _all_failed(task, f"{type(exc).__name__}: {exc}")


def _all_failed(task: list[RunSpec], why: str) -> Outcome:
    outcome = Outcome()
    for spec in task:
        outcome.add(failed(spec, why))
    return outcome


def check_client(client: Any, where: str) -> None:
    """Refuse (ValueError) a ``client`` that is neither None nor a ``dask.distributed.Client`` (checked by its methods)."""
    if client is None:
        return
    if isinstance(client, str | bytes):
        raise ValueError(f"{where}: client must be a dask.distributed.Client, not an address ({shown(client)}); "
                         "connect first with distributed.Client(address), or use `--dask ADDRESS` on the command line.")
    if not all(callable(getattr(client, name, None)) for name in ("submit", "scheduler_info", "run")):
        raise ValueError(f"{where}: client must be a dask.distributed.Client or None, got {shown(client)}.")


def dask_workers(client: Any) -> int:
    return max(1, len(client.scheduler_info().get("workers", {})))
