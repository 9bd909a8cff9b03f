"""Replications of one set-up: the static world built once, the runs advanced side by side.

A batch's replications of a structure differ only in their seed, so the world (actors,
relations, arenas, assignment streams) is the same up to its key: :func:`run_replications`
builds it once and gives every seed a :meth:`~sim.simulation.model.CoordinationModel.replicate` of the
first model.  The compiled week releases the GIL, so with ``threads > 1`` replications run in
parallel threads of one process (a notebook on a laptop); a batch's worker processes already
fill the cores and run them one after another.

Each model returned is exactly what ``CoordinationModel(structure, rng=seed, ...)`` followed by
``run_weeks(weeks)`` gives (``tests/test_replications.py``).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .checks import MAX_WEEKS, whole_number
from .model import CoordinationModel
from .structures import OrganisationModel


def run_replications(structure: str | OrganisationModel = "baseline", seeds: Sequence[Any] = (0,), *, weeks: int = 520,
                     threads: int = 1, **model_arguments: Any) -> list[CoordinationModel]:
    """Simulate ``weeks`` weeks of one set-up once per seed; the models, in the order of ``seeds``.

    ``model_arguments`` are :class:`~sim.simulation.model.CoordinationModel`'s (measures, municipalities,
    parameters, ...);
    ``threads`` runs that many replications at a time (the numba engine releases the GIL).
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("run_replications: seeds is empty; give at least one seed.")
    weeks = whole_number(weeks, "run_replications: weeks", 0, MAX_WEEKS)
    threads = whole_number(threads, "run_replications: threads", 1, 1024)
    if "rng" in model_arguments or "seed" in model_arguments:
        raise ValueError("run_replications: the runs' seeds are given by seeds; do not pass rng or seed.")
    first = CoordinationModel(structure, rng=seeds[0], **model_arguments)
    models = [first, *(first.replicate(seed) for seed in seeds[1:])]
    if threads == 1 or first.engine == "python" or len(models) == 1:
        for model in models:
            model.run_weeks(weeks)
    else:
        with ThreadPoolExecutor(min(threads, len(models)), thread_name_prefix="sim-replication") as pool:
            list(pool.map(lambda model: model.run_weeks(weeks), models))
    return models


__all__ = ["run_replications"]
