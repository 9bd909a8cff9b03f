"""What a search writes: the candidate and comparison tables and the front (its figure and page are passed in).

``candidates.parquet``: every structure judged (the references, each with every measure set,
first), its fields, measures, scores with 95 % CIs and low quantiles, its costs (person-years,
NOK of the measures' budgets, and both in NOK at ``search.person_year_nok``), whether it is on the
front, its regret over the scenarios (:mod:`.regret`), and for each reference structure whether
it is at least as good on every criterion at no more cost (on the means) as that reference *with
the same measures*, at what share of the design points, and whether as the reference with its
best measure set.  ``comparisons.parquet``: the paired differences behind that, per criterion,
with their CIs.  ``pareto.parquet``: the non-dominated candidates, each described in words.
``decision.csv``: per priority what to choose and the best reference (:mod:`.decision`);
``front.csv``: the front's key columns, cheapest first.  The
checksums go into the manifest's ``search`` record, with those of the figure and page a
:data:`Presenter` writes (``sim search`` passes :func:`sim.analysis.report.search.write_search_report`;
drawing and page layout belong to the analysis layer, which this one never imports).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.simulation.metrics import BUDGET, CRITERIA

from ..batch.manifest import write_manifest
from ..runner import write_atomic, write_parquet_atomic
from ..scenario import Scenario
from ..structural import as_column, recorded
from .decision import decide
from .describe import candidate_in_words
from .regret import BALANCED, regret_table, scenario_scores
from .scores import (
    COST,
    TOLERANCE,
    at_least_as_good,
    non_dominated,
    objectives,
    paired,
    point_means,
    share_of_points_as_good,
)

OUTPUTS = ("candidates.parquet", "comparisons.parquet", "pareto.parquet", "decision.csv", "front.csv", "report.html",
           "figures/pareto.png", "figures/tradeoffs.png")
# writes the figures and page into the folder from (scenario, folder, manifest, candidates, comparisons, decision);
# returns the SHA-256 of each file it wrote by its path in the folder (the names are among OUTPUTS)
Presenter = Callable[[Scenario, Path, dict[str, Any], pd.DataFrame, pd.DataFrame, pd.DataFrame], dict[str, str]]


@dataclass
class SearchResult:
    """What a search found: every candidate judged (references first) and the non-dominated ones."""

    candidates: pd.DataFrame
    pareto: pd.DataFrame
    comparisons: pd.DataFrame
    folder: Path


def write_outputs(scenario: Scenario, root: Path, table: pd.DataFrame, runs_of: Any, manifest: dict[str, Any],
                  present: Presenter | None = None) -> SearchResult:
    """Derive and write every search output from the judged candidates (``runs_of(candidate)``: its runs)."""
    search = scenario.search
    candidates = table.drop(columns=["_candidate"]).copy()
    objects = list(table["_candidate"])
    for name in search.space:
        candidates[name] = as_column(name, candidates[name].map(recorded))
    candidates["total_cost_nok"] = candidates[f"{BUDGET}_mean"] + search.person_year_nok * candidates[f"{COST}_mean"]
    feasible = np.flatnonzero(candidates["n_failed"].to_numpy() == 0)
    front = feasible[non_dominated(objectives(candidates.iloc[feasible], search))]
    candidates["on_front"] = False
    candidates.loc[candidates.index[front], "on_front"] = True
    runs = [runs_of(c) for c in objects]  # each candidate's runs gathered once, for the regret and every reference
    scenarios = {int(k): scenario_scores(runs[k]) for k in feasible}
    robustness = regret_table(scenarios, search.tolerance, search.quantile)
    candidates = candidates.join(robustness)
    means = [point_means(r) for r in runs]
    fair = fair_references(candidates)
    records = []
    good_all = np.ones(len(candidates), bool)
    for structure, same, best in fair:
        good, share, good_best = [], [], []
        for k, own in enumerate(means):
            ref_index = same[k]
            difference = paired(own, means[ref_index])
            good.append(bool(candidates.at[k, "n_failed"] == 0) and at_least_as_good(difference))
            share.append(share_of_points_as_good(own, means[ref_index]))
            good_best.append(bool(candidates.at[k, "n_failed"] == 0) and at_least_as_good(paired(own, means[best])))
            records += [{"candidate": candidates.at[k, "candidate"], "reference": structure,
                         "reference_measures": candidates.at[ref_index, "measures"], "outcome": name,
                         "difference": d, "ci95_low": low, "ci95_high": high}
                        for name, (d, low, high) in difference.items()]
        candidates[f"as_good_as_{structure}"] = good
        candidates[f"share_as_good_{structure}"] = share
        candidates[f"as_good_as_{structure}_best_measures"] = good_best
        candidates[f"best_measures_of_{structure}"] = candidates.at[best, "measures"]
        good_all &= np.array(good)
    candidates["as_good_as_all_references"] = good_all & ~candidates["reference"].to_numpy()
    # the same on the criteria alone, at any cost: what the cheapest of them costs is the price of matching all
    wide = comparisons_wide(records)
    criteria_ok = (wide[list(CRITERIA)] >= -TOLERANCE).all(axis=1).groupby(level="candidate").all() if len(wide) \
        else pd.Series(dtype=bool)
    candidates["criteria_as_good_as_all_references"] = (candidates["candidate"].map(criteria_ok).fillna(False)
                                                        .astype(bool) & ~candidates["reference"])
    candidates["description"] = [candidate_in_words(scenario, c) for c in objects]
    comparisons = pd.DataFrame(records, columns=["candidate", "reference", "reference_measures", "outcome",
                                                 "difference", "ci95_low", "ci95_high"])
    pareto = candidates[candidates["on_front"]].reset_index(drop=True)
    decision = decide(candidates, scenarios, search)
    record = {name: write_parquet_atomic(frame, root / name) for name, frame in
              (("candidates.parquet", candidates), ("comparisons.parquet", comparisons), ("pareto.parquet", pareto))}
    record["decision.csv"] = write_atomic(root / "decision.csv", decision.to_csv(index=False).encode())
    record["front.csv"] = write_atomic(root / "front.csv", front_table(pareto).to_csv(index=False).encode())
    if present is not None:
        record |= present(scenario, root, manifest, candidates, comparisons, decision)
    manifest["search"] = record
    write_manifest(root, manifest)
    return SearchResult(candidates, pareto, comparisons, root)


FRONT_COLUMNS = ("candidate", "reference", "structure", "measures", *(f"{c}_mean" for c in CRITERIA),
                 f"{COST}_mean", f"{BUDGET}_mean", "total_cost_nok", f"regret_max_{BALANCED}",
                 f"within_tolerance_{BALANCED}", "description")


def front_table(pareto: pd.DataFrame) -> pd.DataFrame:
    """The front in a small table to read or commit (``front.csv``): who, what it scores, costs and risks."""
    return pareto[[c for c in FRONT_COLUMNS if c in pareto]].sort_values("total_cost_nok", kind="stable")


def fair_references(candidates: pd.DataFrame) -> list[tuple[str, list[int], int]]:
    """Per reference structure: for each candidate (by row) the row of that reference with the same measures, and the
    row of the reference's best measure set.

    The best measure set is the one with the least minimax regret on the balanced priority (then the
    lower cost in money, then in time): the reference at its best, as the search itself found it.
    """
    refs = candidates[candidates["reference"]]
    found = []
    for structure, rows in refs.groupby("structure", sort=False):
        by_measures = dict(zip(rows["measures"], rows.index, strict=True))
        missing = sorted(set(candidates["measures"]) - set(by_measures))
        if missing:
            raise ValueError(f"reference {structure!r} was not judged with the measure sets {missing}")
        ranked = rows.sort_values([f"regret_max_{BALANCED}", f"{BUDGET}_mean", f"{COST}_mean"], kind="stable")
        found.append((str(structure), [by_measures[m] for m in candidates["measures"]], int(ranked.index[0])))
    return found


def comparisons_wide(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Paired differences as one row per (candidate, reference) and a column per outcome."""
    if not records:
        return pd.DataFrame()
    return pd.DataFrame(records).pivot_table(index=["candidate", "reference"], columns="outcome", values="difference")


def front_text(candidates: pd.DataFrame) -> str:
    """The size of the front in words, one count for the command line, the page and the figure alike: the
    structures the search found on it, and the references on it apart (``"26 found structures, and 2 of the
    references"``)."""
    on = candidates["on_front"].to_numpy(bool)
    references = candidates["reference"].to_numpy(bool)
    found, kept = int((on & ~references).sum()), int((on & references).sum())
    text = f"{found} found structure{'s' if found != 1 else ''}"
    return text + (f", and {kept} of the references" if kept else ", and none of the references")
