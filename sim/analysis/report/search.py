"""The search's report page: what to choose for each priority, what was searched, the references, the front."""

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
from ..plots.search import front_figure, tradeoff_figure
from .render import png, render_page

MAX_DESCRIBED = 40  # front members described one by one; the rest are in pareto.parquet


def write_search_report(scenario: Scenario, root: Path, manifest: dict[str, Any], candidates: pd.DataFrame,
                        comparisons: pd.DataFrame, decision: pd.DataFrame) -> dict[str, str]:
    """Draw the front and the trade-offs to ``figures/`` and write ``report.html``; each file's SHA-256 by its path.

    What ``sim search`` passes to :func:`sim.experiments.search.run_search` as its presenter.
    """
    (root / "figures").mkdir(exist_ok=True)
    figures = {}
    for name, draw in (("pareto", front_figure), ("tradeoffs", tradeoff_figure)):
        buffer = io.BytesIO()
        draw(candidates, scenario.search).savefig(buffer, format="png", dpi=DPI)
        figures[name] = buffer.getvalue()
    page = search_page(scenario, manifest, candidates, comparisons, decision, figures)
    return {**{f"figures/{name}.png": write_atomic(root / "figures" / f"{name}.png", data)
               for name, data in figures.items()},
            "report.html": write_atomic(root / "report.html", page.encode())}


def search_page(scenario: Scenario, manifest: dict[str, Any], candidates: pd.DataFrame, comparisons: pd.DataFrame,
                decision: pd.DataFrame, figures: dict[str, bytes]) -> str:
    """The report page as one HTML string (``templates/search.html``)."""
    return render_page("search.html", name=scenario.name, description=scenario.description, scenario=scenario,
                       sections=[("decision", "What to choose"), ("tradeoffs", "What it costs"),
                                 ("searched", "What was searched"), ("answer", "Better than the references?"),
                                 ("front", "The front"), ("figure", "Figure")],
                       decision=_decision(scenario, decision), tradeoffs=png(figures["tradeoffs"], DPI),
                       searched=_searched(scenario, manifest, candidates), answer=_answer(candidates, comparisons),
                       front=_front(scenario, candidates), figure=png(figures["pareto"], DPI))


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


def _decision(scenario: Scenario, decision: pd.DataFrame) -> dict[str, Any]:
    """Per priority what to choose and the best reference, from ``decision.csv`` (:mod:`sim.experiments.search.decision`)."""
    search = scenario.search
    return {"rows": decision.to_dict("records"), "tolerance": search.tolerance,
            "person_year_nok": search.person_year_nok, "scenarios": _scenario_count(scenario),
            "n": int(decision["scenarios"].iloc[0]) if len(decision) else 0}


def _scenario_count(scenario: Scenario) -> str:
    """What one scenario of the regret is, in words."""
    draws = "posterior draws" if scenario.design.kind == "posterior" else "parameter points"
    premises = " (each under every premise about a change of mandate)" if scenario.design.premises else ""
    return f"{draws}{premises} × the horizons the runs reach (2, 5 and 10 years)"


def _answer(candidates: pd.DataFrame, comparisons: pd.DataFrame) -> dict[str, Any]:
    """Which structures are at least as good as every reference, or else the price of matching them all."""
    refs = list(dict.fromkeys(candidates.loc[candidates["reference"], "structure"]))
    counts = [(r, int(candidates.loc[~candidates["reference"], f"as_good_as_{r}"].sum())) for r in refs]
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
