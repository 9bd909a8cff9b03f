"""Experiment designs: the parameter points a scenario visits.

Samples come from ``scipy.stats.qmc`` (Latin hypercube) and SALib (Morris
trajectories; Saltelli's scheme on the Sobol' sequence, which Sobol' indices need),
never hand-written.  A factor is a behavioural parameter or a structural field
(:mod:`sim.experiments.structural`); integer ones are rounded.  Points are a
deterministic function of the design (its ``seed`` included), so the same scenario
always visits the same points.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
from SALib.sample import morris as morris_sample
from SALib.sample import sobol as saltelli_sample
from scipy.stats import qmc

from sim.simulation.parameters import BY_NAME

from .posterior import posterior_draws, read_posterior
from .scenario import Design
from .structural import is_structural, typed

Point = dict[str, Any]  # factor -> value: floats for behavioural parameters, a structure's own types for fields


def _typed(name: str, value: Any) -> Any:
    if is_structural(name):
        return typed(name, value.item() if isinstance(value, np.generic) else value)
    return float(round(value)) if BY_NAME[name].integer else float(value)


def salib_problem(design: Design) -> dict:
    """The SALib problem definition of a design's ranges (names in file order)."""
    names = list(design.ranges)
    return {"num_vars": len(names), "names": names, "bounds": [list(design.ranges[n]) for n in names]}


def _rows_to_points(names: list[str], rows: np.ndarray) -> list[Point]:
    return [{n: _typed(n, v) for n, v in zip(names, row, strict=True)} for row in rows]


PREMISE = "mandate_change_week"  # a point's premise about model 3's change of mandate: a week, or -1 for never
NEVER = -1


def design_points(design: Design, fixed: Mapping[str, float] | None = None) -> list[Point]:
    """The parameter points of a design (an empty dict = the scenario's base parameters), each crossed with the
    design's premises.  ``fixed``: the scenario's own parameter values, which a posterior design leaves alone."""
    points = _points(design, fixed)
    if not design.premises:
        return points
    weeks = [float(NEVER if p == "never" else p) for p in design.premises]
    return [{**point, PREMISE: week} for point in points for week in weeks]


def premise_of(point: Mapping[str, Any]) -> int | None | str:
    """The premise a point sets (a week or ``None`` for never), or ``"scenario"`` when it sets none."""
    if PREMISE not in point:
        return "scenario"
    week = int(point[PREMISE])
    return None if week == NEVER else week


def _points(design: Design, fixed: Mapping[str, float] | None) -> list[Point]:
    if design.kind == "posterior":
        particles = read_posterior(design.posterior, design.calibration)
        return [{n: float(v) for n, v in p.items()} for p in posterior_draws(particles, design.samples, design.seed,
                                                                                fixed)]
    if design.kind == "none":
        return [{}]
    if design.kind == "grid":
        names = list(design.values)
        combos = itertools.product(*(design.values[n] for n in names))
        return [{n: _typed(n, v) for n, v in zip(names, combo, strict=True)} for combo in combos]
    if design.kind == "oat":
        points: list[Point] = [{}]
        for name, values in design.values.items():
            points += [{name: _typed(name, v)} for v in values]
        return points
    names = list(design.ranges)
    low = np.array([design.ranges[n][0] for n in names])
    high = np.array([design.ranges[n][1] for n in names])
    if design.kind == "lhs":
        unit = qmc.LatinHypercube(d=len(names), seed=design.seed).random(design.samples)
        return _rows_to_points(names, qmc.scale(unit, low, high))
    if design.kind == "sobol":
        return _rows_to_points(names, saltelli_points(design))
    return _rows_to_points(names, morris_points(design))


def morris_points(design: Design) -> np.ndarray:
    """Morris trajectories (SALib): ``samples`` trajectories on a ``levels``-level grid."""
    return morris_sample.sample(salib_problem(design), N=design.samples, num_levels=design.levels, seed=design.seed)


def saltelli_points(design: Design) -> np.ndarray:
    """Saltelli's extension of the Sobol' sequence (SALib) for first- and total-order indices."""
    return saltelli_sample.sample(salib_problem(design), N=design.samples, calc_second_order=False,
                                  seed=design.seed)
