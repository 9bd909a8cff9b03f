"""What a search writes: the candidate and comparison tables and the front (its figure and page are passed in).

``candidates.parquet``: every structure judged (the references first), its fields, measures,
scores with 95 % CIs and low quantiles, whether it is on the front, and for each reference
whether it is at least as good on every criterion at no more cost (on the means) and at what
share of the design points.  ``comparisons.parquet``: the paired differences behind that, per
criterion, with their CIs.  ``pareto.parquet``: the non-dominated candidates, each described in
words.  The checksums go into the manifest's ``search`` record, with those of the figure and
page a :data:`Presenter` writes (``sim search`` passes :func:`sim.analysis.report.search.write_search_report`;
drawing and page layout belong to the analysis layer, which this one never imports).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.simulation.metrics import CRITERIA

from ..batch.manifest import write_manifest
from ..runner import write_parquet_atomic
from ..scenario import Scenario
from ..structural import as_column, recorded
from .describe import candidate_in_words
from .scores import (
    TOLERANCE,
    at_least_as_good,
    non_dominated,
    objectives,
    paired,
    point_means,
    share_of_points_as_good,
)

OUTPUTS = ("candidates.parquet", "comparisons.parquet", "pareto.parquet", "report.html", "figures/pareto.png")
# writes the figure and page into the folder from (scenario, folder, manifest, candidates, comparisons); returns the
# SHA-256 of each file it wrote by its path in the folder (the names are among OUTPUTS)
Presenter = Callable[[Scenario, Path, dict[str, Any], pd.DataFrame, pd.DataFrame], dict[str, str]]


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
    feasible = np.flatnonzero(candidates["n_failed"].to_numpy() == 0)
    front = feasible[non_dominated(objectives(candidates.iloc[feasible], search))]
    candidates["on_front"] = False
    candidates.loc[candidates.index[front], "on_front"] = True
    references = candidates[candidates["reference"]]
    records = []
    good_all = np.ones(len(candidates), bool)
    means = [point_means(runs_of(c)) for c in objects]  # once per candidate, for every reference
    for ref_index, ref in references.iterrows():
        good, share = [], []
        for k, own in enumerate(means):
            difference = paired(own, means[ref_index])
            good.append(bool(candidates.at[k, "n_failed"] == 0) and at_least_as_good(difference))
            share.append(share_of_points_as_good(own, means[ref_index]))
            records += [{"candidate": candidates.at[k, "candidate"], "reference": ref["structure"], "outcome": name,
                         "difference": d, "ci95_low": low, "ci95_high": high}
                        for name, (d, low, high) in difference.items()]
        candidates[f"as_good_as_{ref['structure']}"] = good
        candidates[f"share_as_good_{ref['structure']}"] = share
        good_all &= np.array(good)
    candidates["as_good_as_all_references"] = good_all & ~candidates["reference"].to_numpy()
    # the same on the criteria alone, at any cost: what the cheapest of them costs is the price of matching all
    wide = comparisons_wide(records)
    criteria_ok = (wide[list(CRITERIA)] >= -TOLERANCE).all(axis=1).groupby(level="candidate").all() if len(wide) \
        else pd.Series(dtype=bool)
    candidates["criteria_as_good_as_all_references"] = (candidates["candidate"].map(criteria_ok).fillna(False)
                                                        .astype(bool) & ~candidates["reference"])
    candidates["description"] = [candidate_in_words(scenario, c) for c in objects]
    comparisons = pd.DataFrame(records, columns=["candidate", "reference", "outcome", "difference", "ci95_low",
                                                 "ci95_high"])
    pareto = candidates[candidates["on_front"]].reset_index(drop=True)
    record = {name: write_parquet_atomic(frame, root / name) for name, frame in
              (("candidates.parquet", candidates), ("comparisons.parquet", comparisons), ("pareto.parquet", pareto))}
    if present is not None:
        record |= present(scenario, root, manifest, candidates, comparisons)
    manifest["search"] = record
    write_manifest(root, manifest)
    return SearchResult(candidates, pareto, comparisons, root)


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
