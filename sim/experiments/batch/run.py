"""``run_batch``: every run of a scenario not yet saved in its folder, then the tables, all or nothing.

One invocation: open the folder (lock, verify, refuse or repair), run what is missing in
rounds (one round, or as many as the adaptive rule asks for), commit each outcome as it comes,
then rebuild the tables and mark the manifest finished.  A signal, a full disk or any other
error stops it with everything committed so far intact and the manifest saying why.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import signal
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from sim.simulation.checks import is_number, shown, whole_number
from sim.simulation.metrics import CRITERIA

from ..intervals import ci_half_width
from ..machine import cores
from ..runner import output_path
from ..scenario import AdaptiveReplications, Scenario
from .errors import EnvironmentFault, Interrupted, is_environment_fault
from .executors import check_client, dask_workers, local, on_dask, workers_see
from .folder import ResultFolder
from .shutdown import Shutdown
from .specs import PlanIndex, RunSpec, groups, planned_runs
from .store import Written
from .tables import current_points
from .work import Outcome

TASK_SIZE = 25  # most runs per task sent to a worker: a task is one chunk, so a kill loses at most this many


def run_batch(scenario: Scenario, *, out: str | os.PathLike[str] | None = None, workers: int | None = None,
              client: Any = None, resume: bool = False, quiet: bool = True, scenario_text: str | None = None,
              task_size: int | None = None, rerun_stale: bool = False,
              run_time_limit: float | None = None) -> pd.DataFrame:
    """Run every run of ``scenario`` not yet finished in ``out``; return ``runs`` (one row per run).

    Args:
        scenario: a validated :class:`~sim.experiments.scenario.Scenario` (from a file or built in code).
        out: output folder (default: the scenario's ``output``).
        workers: local worker processes (default: all cores).
        client: a ``dask.distributed.Client``; runs go to its cluster instead of local workers.
        resume: continue or extend the batch already in ``out``.
        quiet: no progress bar.
        scenario_text: the scenario file's text, hashed into the manifest.
        task_size: runs per task sent to a worker (default: balanced for the worker count).
        rerun_stale: with ``resume``, recompute the runs in ``out`` that another scenario or other code made.
        run_time_limit: seconds one run may take (default: the scenario's ``run_time_limit``).

    Raises:
        BatchConflict: the folder is held by another batch or holds results that must not be mixed.
        Interrupted: SIGINT or SIGTERM stopped the batch; what finished is saved.
        EnvironmentFault: a write failed (disk full, permissions); what finished before is saved.
    """
    if not isinstance(scenario, Scenario):
        raise ValueError(f"run_batch: scenario must be a Scenario (from load_scenario or scenario_from_dict), "
                         f"got {shown(scenario)}.")
    if scenario.search is not None:
        raise ValueError("run_batch: this scenario has a [search] table; run it with sim.experiments.search.run_search "
                         "(`sim search`): a batch runs fixed plans.")
    if rerun_stale and not resume:
        raise ValueError("rerun_stale (--rerun-stale) recomputes runs of a batch being resumed: it needs resume "
                         "(--resume).")
    if not isinstance(resume, bool) or not isinstance(rerun_stale, bool):
        raise ValueError(f"run_batch: resume and rerun_stale must be True or False, got {shown(resume)} and "
                         f"{shown(rerun_stale)}.")
    root = output_path(out, "run_batch: out") if out is not None else scenario.output_dir
    if scenario_text is not None and not isinstance(scenario_text, str):
        raise ValueError(f"run_batch: scenario_text must be the scenario file's text (str), got {shown(scenario_text)}.")
    check_client(client, "run_batch")
    workers = usable_workers(workers)
    if task_size is not None:
        task_size = whole_number(task_size, "run_batch: task_size", 1, also=", or None")
    if run_time_limit is not None and not (is_number(run_time_limit) and 0 < run_time_limit < math.inf):
        raise ValueError(f"run_batch: run_time_limit must be a number of seconds > 0, or None, got {shown(run_time_limit)}.")
    limit = run_time_limit or scenario.run_time_limit
    folder = ResultFolder(root)
    backend = "dask" if client is not None else ("processes" if workers > 1 else "serial")
    folder.open(scenario, resume=resume, rerun_stale=rerun_stale, backend=backend,
                workers=dask_workers(client) if client is not None else workers, scenario_text=scenario_text)
    replications: dict[tuple, int] = {}  # per group, where the adaptive rule asked for more than its minimum
    with stopping(folder, lambda: _saved(folder, planned_runs(scenario, replications))) as shutdown:
        stops = _rounds(scenario, replications, folder, workers, client, quiet, task_size, limit, shutdown)
        if shutdown.requested is None:
            runs = folder.finish(scenario, planned_runs(scenario, replications), stops)
            if shutdown.requested is None:  # a signal that came while finishing is still answered
                return runs
        raise Interrupted(shutdown.requested, folder.root, *_saved(folder, planned_runs(scenario, replications)))


@contextlib.contextmanager
def stopping(folder: ResultFolder, progress: Callable[[], tuple[int, int]]) -> Iterator[Shutdown]:
    """One invocation on an open folder, under signal handling; however it ends early, the manifest says why.

    ``progress`` gives (runs saved, runs planned) for the message of an interruption or a write failure.
    """
    try:
        with Shutdown() as shutdown:
            yield shutdown
    except Interrupted as exc:
        if folder.manifest.get("status") != "finished":
            folder.stop(f"interrupted by {signal.Signals(exc.signum).name}")
        raise
    except OSError as exc:
        folder.stop(f"failed: {exc}")
        if is_environment_fault(exc):
            raise EnvironmentFault(exc, folder.root, *progress()) from exc
        raise
    except BaseException as exc:
        folder.stop(f"failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        folder.close()


def usable_workers(requested: int | None) -> int:
    """Local worker processes: the request (default: all cores), never more than the cores."""
    if requested is None:
        return cores()
    return min(whole_number(requested, "run_batch: workers", 1, also=", or None"), cores())


def _saved(folder: ResultFolder, specs: Iterable[RunSpec]) -> tuple[int, int]:
    """How many of the planned runs are saved, and how many are planned."""
    saved = planned = 0
    for spec in specs:
        saved += spec.run_id in folder.finished
        planned += 1
    return saved, planned


def _rounds(scenario: Scenario, replications: dict[tuple, int], folder: ResultFolder, workers: int, client: Any,
            quiet: bool, task_size: int | None, limit: float, shutdown: Shutdown) -> dict[tuple, str]:
    """Run what is missing, round after round while the adaptive rule adds replications (into ``replications``).

    Returns why each group stopped.  The plan is drawn lazily, never held: once to count what
    is missing, once to hand it out.
    """
    stops: dict[tuple, str] = {}
    adaptive = scenario.replications if isinstance(scenario.replications, AdaptiveReplications) else None
    while True:
        saved, planned = _saved(folder, planned_runs(scenario, replications))
        if saved < planned:
            todo = (s for s in planned_runs(scenario, replications) if s.run_id not in folder.finished)
            run_specs(todo, scenario, folder, workers, client, quiet, planned, task_size, limit, shutdown,
                      missing=planned - saved)
        if shutdown.requested is not None or adaptive is None or not _adapt(scenario, adaptive, folder.runs(),
                                                                            replications, stops):
            return stops


def run_specs(todo: Iterable[RunSpec], scenario: Scenario, folder: ResultFolder, workers: int, client: Any,
              quiet: bool, total: int, task_size: int | None, limit: float, shutdown: Shutdown, *,
              missing: int) -> None:
    """Run ``todo`` (``missing`` runs) in tasks, committing each outcome as it comes.

    ``todo`` may be a generator: tasks are cut from it as workers take them, so the parent never
    holds the whole plan.  ``total`` is the plan's size, for the progress bar.
    """
    parallel = workers if client is None else dask_workers(client)
    size = task_size or max(1, min(TASK_SIZE, missing // (4 * parallel)))
    tasks = _tasks(iter(todo), size)
    if client is not None:
        directory, fingerprint = folder.destination()
        shared = workers_see(client, directory)
        folder.invocation["results_written_by"] = "dask workers" if shared else "this process"
        outcomes: Generator[Outcome | Written, None, None] = on_dask(tasks, scenario, client, limit, shutdown,
                                                        (directory, fingerprint) if shared else None)
    else:  # never more processes than tasks
        outcomes = local(tasks, scenario, min(workers, -(-missing // size)), limit, shutdown)
    # closed here, however the loop ends: an executor stops its workers in its `finally`, which a generator left
    # suspended runs only once collected, and a failed commit's traceback can keep it alive until exit
    with contextlib.closing(outcomes), tqdm(total=total, initial=total - missing, unit="run", disable=quiet,
                                            desc=scenario.name) as bar:
        for outcome in outcomes:
            folder.commit(outcome)
            bar.update(len(outcome))


def _tasks(specs: Iterator[RunSpec], size: int) -> Iterator[list[RunSpec]]:
    """``specs`` cut into tasks of ``size`` runs, as they are asked for."""
    while task := list(itertools.islice(specs, size)):
        yield task


def _adapt(scenario: Scenario, rule: AdaptiveReplications, runs: pd.DataFrame, replications: dict[tuple, int],
           stops: dict[tuple, str]) -> bool:
    """Add replications where any criterion's CI is still too wide; record why each group stopped."""
    more = False
    if not runs.empty:
        runs = runs.assign(point=current_points(runs, PlanIndex.of(planned_runs(scenario, replications))))
    for structure, measures, point, _ in groups(scenario):
        key = (structure, measures, point)
        if key in stops:
            continue
        n = replications.get(key, rule.min)
        group = runs[(runs["structure"] == structure) & (runs["measures"] == ",".join(measures))
                     & (runs["point"] == point) & (runs["replication"] < n)] if not runs.empty else runs
        if len(group) < 2:
            stops[key] = f"too_few_finished: {len(group)} of {n} runs finished; see failures.parquet"
            continue
        widest = max(ci_half_width(group[c].to_numpy(float)) for c in CRITERIA)
        if widest <= rule.until_ci_half_width:
            stops[key] = f"ci_reached: widest 95% CI half-width {widest:.4g} <= {rule.until_ci_half_width} at n={n}"
        elif n >= rule.max:
            stops[key] = f"max_reached: n={n}, widest 95% CI half-width {widest:.4g}"
        else:
            replications[key] = min(rule.max, n + rule.batch)
            more = True
    return more
