"""The search's report page: what was searched, the answer about the references, the front in words."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd

from sim.experiments.runner import write_atomic
from sim.experiments.scenario import Scenario, SearchRange
from sim.experiments.search.outputs import front_text
from sim.experiments.search.scores import COST, quantile_label
from sim.simulation.metrics import CRITERIA

from ..plots.canvas import DPI
from ..plots.search import front_figure
from .render import png, render_page

MAX_DESCRIBED = 40  # front members described one by one; the rest are in pareto.parquet


def write_search_report(scenario: Scenario, root: Path, manifest: dict[str, Any], candidates: pd.DataFrame,
                        comparisons: pd.DataFrame) -> dict[str, str]:
    """Draw the front to ``figures/pareto.png`` and write ``report.html``; each file's SHA-256 by its path.

    What ``sim search`` passes to :func:`sim.experiments.search.run_search` as its presenter.
    """
    (root / "figures").mkdir(exist_ok=True)
    figure = io.BytesIO()
    front_figure(candidates, scenario.search).savefig(figure, format="png", dpi=DPI)
    page = search_page(scenario, manifest, candidates, comparisons, figure.getvalue())
    return {"figures/pareto.png": write_atomic(root / "figures" / "pareto.png", figure.getvalue()),
            "report.html": write_atomic(root / "report.html", page.encode())}


def search_page(scenario: Scenario, manifest: dict[str, Any], candidates: pd.DataFrame, comparisons: pd.DataFrame,
                figure: bytes) -> str:
    """The report page as one HTML string (``templates/search.html``)."""
    return render_page("search.html", name=scenario.name, description=scenario.description, scenario=scenario,
                       sections=[("searched", "What was searched"), ("answer", "Better than the references?"),
                                 ("front", "The front"), ("figure", "Figure")],
                       searched=_searched(scenario, manifest, candidates), answer=_answer(candidates, comparisons),
                       front=_front(scenario, candidates), figure=png(figure, DPI))


def _searched(scenario: Scenario, manifest: dict[str, Any], candidates: pd.DataFrame) -> dict[str, Any]:
    search = scenario.search
    space = [(name, choices.low, choices.high, None) if isinstance(choices, SearchRange) else
             (name, None, None, "; ".join(", ".join(c) if isinstance(c, list) else str(c) for c in choices))
             for name, choices in search.space.items()]
    return {"space": space,
            "points": candidates["n_runs"].max() // scenario.max_replications if len(candidates) else 0,
            "statistics": " and ".join("mean" if s == "mean" else f"{round(search.quantile * 100)}th percentile"
                                       for s in search.statistics),
            "judged": len(candidates), "references": int(candidates["reference"].sum()),
            "runs": manifest.get("runs_finished", 0)}


def _answer(candidates: pd.DataFrame, comparisons: pd.DataFrame) -> dict[str, Any]:
    """Which structures are at least as good as every reference, or else the price of matching them all."""
    refs = list(candidates.loc[candidates["reference"], "structure"])
    counts = [(r, int(candidates[f"as_good_as_{r}"].sum() - 1)) for r in refs]
    winners = candidates[candidates["as_good_as_all_references"]]
    if winners.empty:
        close = candidates[candidates["criteria_as_good_as_all_references"]].sort_values(f"{COST}_mean")
        return {"counts": counts, "winners": [], "n_close": len(close), "close": [
            {"description": c["description"], "cost": c[f"{COST}_mean"],
             "extra": [{"reference": r.reference, "difference": r.difference, "low": r.ci95_low, "high": r.ci95_high}
                       for r in comparisons[(comparisons["candidate"] == c["candidate"])
                                            & (comparisons["outcome"] == COST)].itertuples(index=False)]}
            for _, c in close.head(10).iterrows()]}
    share_cols = [f"share_as_good_{r}" for r in refs]
    winners = winners.assign(_robust=winners[share_cols].min(axis=1)).sort_values(
        ["_robust", f"{COST}_mean"], ascending=[False, True])
    rows = []
    for _, w in winners.head(10).iterrows():
        mine = comparisons[comparisons["candidate"] == w["candidate"]]
        better = [(r, list(mine.loc[(mine["reference"] == r) & (mine["ci95_low"] > 0) & mine["outcome"].isin(CRITERIA),
                                    "outcome"])) for r in refs]
        rows.append({"description": w["description"], "shares": [(r, w[f"share_as_good_{r}"]) for r in refs],
                     "better": better, "cost": w[f"{COST}_mean"]})
    return {"counts": counts, "winners": rows, "n_winners": len(winners)}


def _front(scenario: Scenario, candidates: pd.DataFrame) -> dict[str, Any]:
    """The non-dominated structures, cheapest first, with their scores over the points."""
    front = candidates[candidates["on_front"]].sort_values(f"{COST}_mean")
    q = quantile_label(scenario.search.quantile)
    rows = [{"description": c["description"], "reference": bool(c["reference"]), "cost": c[f"{COST}_mean"],
             "scores": [{"criterion": k, "mean": c[f"{k}_mean"], "low": c[f"{k}_ci95_low"],
                         "high": c[f"{k}_ci95_high"], "quantile": c[f"{k}_{q}"]} for k in CRITERIA]}
            for _, c in front.head(MAX_DESCRIBED).iterrows()]
    return {"size": front_text(candidates), "q": q, "percentile": round(scenario.search.quantile * 100), "rows": rows,
            "more": max(0, len(front) - MAX_DESCRIBED)}
