"""One parameter point simulated in the calibration world, its nuisance parameters drawn from their priors, cached.

A point names values for some parameters (the calibrated ones, or all of them in the screen);
every other uncertain parameter is drawn from its prior (:data:`sim.simulation.parameters.PRIORS`)
with a generator seeded from the point, so its uncertainty is carried through the inference
rather than fixed at a default.  The replications' seeds derive from the point too (common
random numbers across calls, and the same summaries every time).  Summaries are kept in an
SQLite file beside the results, so a calibration killed mid-generation and run again redoes no
simulation: its sampler proposes the same points again (``sim.experiments.calibration.inference``).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sim.simulation.structures import OrganisationModel

from ..posterior import from_priors, typed
from .patterns import comparison_summaries, model_criteria, programme_summaries, today_summaries


def key(*parts: Any) -> str:
    """A stable key of JSON-able parts (SHA-256)."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=repr).encode()).hexdigest()


@dataclass
class Cache:
    """Summaries by key in an SQLite file (one row per simulated point; written as soon as it is simulated)."""

    path: Path
    _db: sqlite3.Connection | None = field(default=None, init=False, repr=False)

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS summaries (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
                             "rewrites INTEGER NOT NULL DEFAULT 0)")
        return self._db

    def get(self, key: str) -> dict[str, float] | None:
        row = self._connection().execute("SELECT value FROM summaries WHERE key = ?", (key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def put(self, key: str, value: Mapping[str, float]) -> None:
        """Keep a point's summaries; a point simulated again (which a resumed calibration must never do) is counted."""
        self._connection().execute("INSERT INTO summaries (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
                                   "value = excluded.value, rewrites = rewrites + 1", (key, json.dumps(value)))

    def __len__(self) -> int:
        return self._connection().execute("SELECT COUNT(*) FROM summaries").fetchone()[0]

    def redone(self) -> int:
        """How many simulations were done again after their summaries had been kept."""
        return self._connection().execute("SELECT COALESCE(SUM(rewrites), 0) FROM summaries").fetchone()[0]

    def __getstate__(self) -> dict[str, Any]:  # a worker process opens its own connection
        return {"path": self.path, "_db": None}


@dataclass
class World:
    """The calibration world of one scenario: its 0-24 programme, its base parameters, how many replications."""

    programme: OrganisationModel
    base: Mapping[str, Any]
    replications: int
    seed: int
    cache: Cache | None = None
    threads: int = 2
    common_seeds: bool = False  # the same replication seeds at every point (common random numbers: the screen)

    def parameters(self, point: Mapping[str, float], draw: int | None = None) -> dict[str, float | int]:
        """The point's values, the scenario's base values, and every other uncertain parameter drawn from its prior.

        ``draw`` tells apart draws of a posterior predictive that land on the same point (a
        particle resampled twice): each gets its own nuisance values and seeds.
        """
        rng = np.random.default_rng(int(key("nuisance", self.seed, sorted(point.items()), draw)[:15], 16))
        nuisance = from_priors(rng, exclude=[*point, *self.base])
        return {**nuisance, **self.base, **{n: typed(n, v) for n, v in point.items()}}

    def seeds(self, point: Mapping[str, float], draw: int | None = None) -> list[int]:
        """One seed per replication from overlapping 15-digit windows of a SHA-256, extended by hashing it again
        where more than seven replications need more digits (the first seven never change)."""
        root = key("seeds", self.seed, [] if self.common_seeds else sorted(point.items()), draw)
        while len(root) < 8 * self.replications + 7:
            root += key("more seeds", root)
        return [int(root[8 * k:8 * k + 15], 16) for k in range(self.replications)]

    def summaries(self, point: Mapping[str, float], orderings: bool, draw: int | None = None) -> dict[str, float]:
        """The patterns (and, with ``orderings``, the report's comparisons after ten years) at ``point``."""
        name = key("summaries", self.seed, self.replications, self.common_seeds, orderings, sorted(point.items()),
                   draw, self.programme.model_dump(mode="json"), dict(self.base))
        found = self.cache.get(name) if self.cache is not None else None
        if found is not None:
            return found
        parameters, seeds = self.parameters(point, draw), self.seeds(point, draw)
        out = {**programme_summaries(self.programme, seeds, parameters, self.threads),
               **today_summaries(seeds, parameters, self.threads)}
        if orderings:
            out.update(comparison_summaries(model_criteria(seeds, parameters, self.threads)))
        if self.cache is not None:
            self.cache.put(name, out)
        return out


def point_of(names: Sequence[str], values: Sequence[float]) -> dict[str, float]:
    """A parameter point as a plain dict of floats, rounded so that equal points have equal keys."""
    return {n: float(f"{float(v):.12g}") for n, v in zip(names, values, strict=True)}


__all__ = ["Cache", "World", "key", "point_of"]
