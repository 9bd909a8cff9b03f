"""Is the answer stable?  The same search under other search seeds and other draws of the scenarios.

Each (search seed, draw seed) pair is a whole search in its own folder (``seed-<s>-draws-<d>``,
resumable like any search): the search seed moves the optimiser's random stream, the draw seed the
design's (``design.seed``: which posterior draws or parameter points are the scenarios).  What
holds in all of them is what a user may take away; the table says, per priority, whether the
choice, its base model and its measures are the same in every search, and the range of its
regret, share within tolerance and advantage over the best reference.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..runner import write_atomic
from ..scenario import Scenario
from .run import run_search


def with_seeds(scenario: Scenario, seed: int, draw_seed: int) -> Scenario:
    """The scenario with another search seed and another seed for its design's draws."""
    return scenario.model_copy(update={"search": scenario.search.model_copy(update={"seed": seed}),
                                       "design": scenario.design.model_copy(update={"seed": draw_seed})})


def run_stability(scenario: Scenario, seeds: list[int], draw_seeds: list[int], out: Path, *, workers: int | None = None,
                  resume: bool = False, quiet: bool = True, present: Any = None) -> pd.DataFrame:
    """Run the search once per (seed, draw seed) into ``out/seed-<s>-draws-<d>``; write and return ``stability.csv``."""
    decisions = {}
    for seed in seeds:
        for draw_seed in draw_seeds:
            folder = out / f"seed-{seed}-draws-{draw_seed}"
            result = run_search(with_seeds(scenario, seed, draw_seed), out=folder, workers=workers,
                                resume=resume or folder.exists(), quiet=quiet, present=present)
            decisions[(seed, draw_seed)] = pd.read_csv(result.folder / "decision.csv", keep_default_na=False)
    table = stability_table(decisions)
    write_atomic(out / "stability.csv", table.to_csv(index=False).encode())
    return table


def stability_table(decisions: dict[tuple[int, int], pd.DataFrame]) -> pd.DataFrame:
    """Per priority: the choice in each search, whether choice, base model and measures agree, and the ranges."""
    long = pd.concat([d.assign(search_seed=s, draw_seed=r) for (s, r), d in decisions.items()], ignore_index=True)
    rows = []
    for priority, group in long.groupby("priority", sort=False):
        modal = group["choice"].mode().iloc[0]
        rows.append({
            "priority": priority, "searches": len(group),
            "same_choice": group["choice"].nunique() == 1,
            "same_base_model": group["choice_structure"].nunique() == 1,
            "same_measures": group["choice_measures"].nunique() == 1,
            "same_best_reference": group["reference"].nunique() == 1,
            "modal_choice": modal, "modal_share": float((group["choice"] == modal).mean()),
            "modal_description": group.loc[group["choice"] == modal, "choice_description"].iloc[0],
            "base_models": ", ".join(sorted(set(group["choice_structure"]))),
            "measure_sets": " | ".join(sorted(set(group["choice_measures"]))) or "(none)",
            **{f"{name}_{stat}": getattr(group[name], stat)() for name in
               ("choice_regret_max", "choice_within_tolerance", "advantage", "choice_total_cost_nok")
               for stat in ("min", "max")},
            "advantage_above_zero_in_all": bool((group["advantage_low"] > 0).all()),
        })
    return pd.DataFrame(rows)


__all__ = ["run_stability", "stability_table", "with_seeds"]
