"""``sim plan``: what a scenario would run, what its output folder already holds, and how long the rest takes.

Nothing is written: the folder is read without its lock (a running batch may change it, which
the report says), and the timing runs go to memory.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path

from ..designs import design_points
from ..scenario import Scenario
from .fingerprint import digest, fingerprint
from .lock import FolderLock
from .specs import groups, plan
from .store import ChunkStore
from .work import attempt

TIMING_RUNS = 3  # runs timed after one warm-up (which also compiles the kernels once)


@dataclass
class Plan:
    """A scenario's plan beside its folder, and the time the missing runs would take."""

    structures: int
    measure_sets: int
    points: int
    distinct_points: int
    replications: str
    groups: int
    runs: int
    saved: int
    stale: int
    running: str | None
    seconds_per_run: float
    compile_seconds: float
    workers: int

    @property
    def missing(self) -> int:
        return self.runs - self.saved

    def seconds_for(self, runs: int) -> float:
        """How long ``runs`` runs take spread over the workers (never more workers than runs)."""
        return runs * self.seconds_per_run / max(1, min(self.workers, runs))


def make_plan(scenario: Scenario, out: Path, workers: int, *, timing: bool = True) -> Plan:
    """The plan of ``scenario`` in ``out``; with ``timing``, a short timing run of its first group."""
    specs = plan(scenario)
    ids = {s.run_id for s in specs}
    store = ChunkStore(out / ".chunks")
    store.load()
    key = digest(fingerprint(scenario))
    saved = stale = 0
    for chunk, meta in store.chunks.items():
        frames = store.read([chunk], "runs", columns=["run_id"])
        # a search's runs are the candidates it asks for: every run saved with its fingerprint counts
        mine = (len(frames[0]) if scenario.search is not None else sum(frames[0]["run_id"].isin(ids))) if frames else 0
        if meta["fingerprint"] == key:
            saved += mine
        else:
            stale += mine
    rule = scenario.replications
    replications = str(rule) if isinstance(rule, int) else (f"adaptive: {rule.min} to {rule.max}, {rule.batch} at a "
                                                            f"time, until every 95 % CI half-width <= "
                                                            f"{rule.until_ci_half_width}")
    per_run = compile_s = math.nan
    if timing and specs:
        started = time.perf_counter()
        warm = scenario.model_copy(update={"weeks": 1})
        attempt(specs[0], warm)
        compile_s = time.perf_counter() - started
        started = time.perf_counter()
        for spec in specs[:TIMING_RUNS]:
            attempt(spec, scenario)
        per_run = (time.perf_counter() - started) / min(TIMING_RUNS, len(specs))
    points = design_points(scenario.design, scenario.parameters)
    return Plan(structures=len(scenario.structures), measure_sets=len(scenario.measures), points=len(points),
                distinct_points=len({tuple(sorted((k, repr(v)) for k, v in p.items())) for p in points}),
                replications=replications, groups=len(groups(scenario)), runs=len(specs), saved=saved, stale=stale,
                running=FolderLock(out).holder(), seconds_per_run=per_run, compile_seconds=compile_s, workers=workers)


def duration(seconds: float) -> str:
    """Seconds in words: 45 s, 12 min, 3.4 h."""
    if not math.isfinite(seconds):
        return "unknown"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
