"""The reach matrix: where each behavioural parameter changes what the simulation does.

Every parameter of :data:`sim.parameters.PARAMETERS` is set to each end of its range in every
shipped organisation model, under both premises about model 3's change of mandate and with no
measures or all of them; a parameter *acts* in a set-up when any week's metrics differ from the
defaults' (the draws are counter-based, so "no difference" means bit-identical).  A parameter
that acts nowhere is dead; one that acts through a single model needs the reason
``docs/ODD.md`` gives for it (a renewal gap exists only where a programme does).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..simulation.model import CoordinationModel
from ..simulation.parameters import PARAMETERS
from ..simulation.structures import catalogue

PREMISES: tuple[int | None, ...] = (None, 104)  # no change of mandate (the report's), a change in week 104


def reach_matrix(structures: Sequence[str] = ("baseline", "model1", "model2", "model3"), *, weeks: int = 520,
                 seeds: Iterable[int] = (0, 1), parameters: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per parameter, set-up and end of range: whether the metrics of any week differ from the defaults'.

    Columns: ``parameter``, ``structure``, ``mandate_change_week`` (-1 for none), ``measures``
    ("none" or "all"), ``end`` ("low" or "high"), ``acts``.
    """
    seeds = tuple(seeds)
    chosen = [p for p in PARAMETERS if parameters is None or p.name in parameters]
    every_measure = tuple(catalogue().measures)
    rows = []
    for structure in structures:
        for premise in PREMISES:
            for label, measures in (("none", ()), ("all", every_measure)):
                setup = {"structure": structure, "measures": measures, "mandate_change_week": premise}
                defaults = [_history(setup, seed, weeks) for seed in seeds]
                for p in chosen:
                    for end, value in (("low", p.low), ("high", p.high)):
                        if value == p.default:
                            acts = False
                        else:
                            changed = {p.name: int(value) if p.integer else value}
                            acts = any(not np.array_equal(_history(setup, seed, weeks, **changed), default)
                                       for seed, default in zip(seeds, defaults, strict=True))
                        rows.append({"parameter": p.name, "structure": structure,
                                     "mandate_change_week": -1 if premise is None else premise,
                                     "measures": label, "end": end, "acts": acts})
    return pd.DataFrame(rows)


def models_reached(matrix: pd.DataFrame) -> pd.Series:
    """Per parameter, the sorted tuple of organisation models in which it acts anywhere (empty: dead)."""
    acting = matrix[matrix["acts"]]
    reached = acting.groupby("parameter")["structure"].agg(lambda s: tuple(sorted(set(s))))
    return reached.reindex([p.name for p in PARAMETERS if p.name in set(matrix["parameter"])], fill_value=())


def _history(setup: dict, seed: int, weeks: int, **parameters: float) -> np.ndarray:
    """Every week's metrics of one run of ``setup``."""
    model = CoordinationModel(**setup, rng=seed, **parameters)
    model.run_weeks(weeks)
    return model.metric_history()


__all__ = ["PREMISES", "models_reached", "reach_matrix"]
