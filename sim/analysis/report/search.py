"""The search's report page: what was searched, the answer about the references, the front in words."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pandas as pd

from sim import __version__
from sim.experiments.labels import model_label, pretty
from sim.experiments.runner import write_atomic
from sim.experiments.scenario import Scenario, SearchRange
from sim.experiments.search.scores import COST, quantile_label
from sim.simulation.metrics import CRITERIA

from ..plots.canvas import DPI
from ..plots.search import front_figure
from .page import CSS, _img, esc, fmt, table

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
    """The report page as one HTML string."""
    sections = [("searched", "What was searched", _searched(scenario, manifest, candidates)),
                ("answer", "Better than the references?", _answer(scenario, candidates, comparisons)),
                ("front", "The front", _front(scenario, candidates)),
                ("figure", "Figure", f"<figure>{_img(figure, 'front', DPI)}<figcaption>Parallel coordinates of "
                                     "every structure judged; the front in blue, the references in their colours. "
                                     "Also written to <code>figures/pareto.png</code>.</figcaption></figure>")]
    nav = "".join(f"<a href='#{key}'>{esc(title)}</a>" for key, title, _ in sections)
    body = "".join(f"<section id='{key}'><h2>{esc(title)}</h2>{content}</section>" for key, title, content in sections)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="samordning-sim {esc(__version__)}">
<title>{esc(scenario.name)}: search report</title>
<style>{CSS}</style></head>
<body><main>
<p class="muted">samordning-sim · a search for coordination structures</p>
<h1>{esc(scenario.name)}</h1>
<p class="lede">{esc(scenario.description) or "<span class='muted'>(no description)</span>"}</p>
<nav>{nav}</nav>
{body}
<hr><p class="muted">Written by <code>sim search</code> (samordning-sim {esc(__version__)}) on
{esc(time.strftime("%Y-%m-%d %H:%M"))}. Every number comes from <code>candidates.parquet</code> and
<code>comparisons.parquet</code>, derived from the runs in <code>runs.parquet</code>.</p>
</main></body></html>
"""


def _space(scenario: Scenario) -> str:
    items = []
    for name, choices in scenario.search.space.items():
        if isinstance(choices, SearchRange):
            items.append(f"<li><code>{esc(name)}</code> in [{choices.low:g}, {choices.high:g}]</li>")
        else:
            shown = "; ".join(", ".join(c) if isinstance(c, list) else str(c) for c in choices)
            items.append(f"<li><code>{esc(name)}</code> one of {{{esc(shown)}}}</li>")
    return "".join(items)


def _searched(scenario: Scenario, manifest: dict[str, Any], candidates: pd.DataFrame) -> str:
    search, design = scenario.search, scenario.design
    ranges = ", ".join(f"{esc(n)} in [{lo:g}, {hi:g}]" for n, (lo, hi) in design.ranges.items()) or "none"
    points = candidates["n_runs"].max() // scenario.max_replications if len(candidates) else 0
    stats = " and ".join("mean" if s == "mean" else f"{round(search.quantile * 100)}th percentile"
                         for s in search.statistics)
    return (f"<p>Candidates start from one of {esc(', '.join(model_label(s) for s in scenario.structures))}, set "
            f"the fields below and switch on any of the measures {esc(', '.join(search.measures) or '(none)')}.</p>"
            f"<ul>{_space(scenario)}</ul>"
            f"<p>Each candidate is judged on the same {points} parameter points ({esc(design.kind)} over {ranges}) "
            f"× {scenario.max_replications} replications of {scenario.weeks} weeks, with common random numbers "
            f"(run k, r of every candidate has the same parameters and seed). Objectives: the {stats} over the "
            f"points of each of the six criteria (maximised) and the mean cost in person-years (minimised); "
            f"{esc(search.algorithm.upper())} (pymoo, mixed variables), population {search.population}, "
            f"{search.generations} generations, seed {search.seed}. {len(candidates)} distinct structures were "
            f"judged, {int(candidates['reference'].sum())} of them the references as declared; "
            f"{manifest.get('runs_finished', 0):,} runs.</p>")


def _answer(scenario: Scenario, candidates: pd.DataFrame, comparisons: pd.DataFrame) -> str:
    refs = list(candidates.loc[candidates["reference"], "structure"])
    winners = candidates[candidates["as_good_as_all_references"]]
    counts = ", ".join(f"{model_label(r)}: {int(candidates[f'as_good_as_{r}'].sum() - 1)}" for r in refs)
    out = [f"<p>A structure counts as at least as good as a reference when its mean over the parameter points is "
           f"at least the reference's on every criterion and its mean cost is no higher. Structures at least as good "
           f"as each reference (itself not counted): {esc(counts)}.</p>"]
    if winners.empty:
        out.append("<p><strong>No structure judged is at least as good as every reference on every criterion at no "
                   "more cost.</strong></p>" + _price_of_matching(candidates, comparisons, refs))
        return "".join(out)
    share_cols = [f"share_as_good_{r}" for r in refs]
    winners = winners.assign(_robust=winners[share_cols].min(axis=1)).sort_values(
        ["_robust", f"{COST}_mean"], ascending=[False, True])
    out.append(f"<p><strong>{len(winners)} structures are at least as good as every reference</strong>; the "
               "most robust first (the smallest share, over references, of parameter points at which it is at least "
               "as good on every criterion at no more cost).</p>")
    rows = []
    for _, w in winners.head(10).iterrows():
        mine = comparisons[comparisons["candidate"] == w["candidate"]]
        better = []
        for r in refs:
            sig = mine[(mine["reference"] == r) & (mine["ci95_low"] > 0) & mine["outcome"].isin(CRITERIA)]
            better.append(f"{esc(r)}: {esc(', '.join(pretty(c) for c in sig['outcome']) or 'none')}")
        rows.append([esc(w["description"]), "<br>".join(f"{esc(r)}: {w[f'share_as_good_{r}']:.0%}" for r in refs),
                     "<br>".join(better), fmt(w[f"{COST}_mean"])])
    out.append(table(["structure", "share of points as good", "significantly better on (paired 95 % CI above 0)",
                      "cost (py)"], rows))
    return "".join(out)


def _price_of_matching(candidates: pd.DataFrame, comparisons: pd.DataFrame, refs: list[str]) -> str:
    """The structures at least as good as every reference on the criteria alone, cheapest first, and what more
    they cost than each reference (paired 95 % CI)."""
    close = candidates[candidates["criteria_as_good_as_all_references"]].sort_values(f"{COST}_mean")
    if close.empty:
        return "<p>No structure is at least as good as every reference on the six criteria alone either.</p>"
    rows = []
    for _, c in close.head(10).iterrows():
        cost = comparisons[(comparisons["candidate"] == c["candidate"]) & (comparisons["outcome"] == COST)]
        extra = "<br>".join(f"{esc(r.reference)}: {r.difference:+.2f} [{r.ci95_low:+.2f}, {r.ci95_high:+.2f}]"
                            for r in cost.itertuples(index=False))
        rows.append([esc(c["description"]), extra, fmt(c[f"{COST}_mean"])])
    return (f"<p>{len(close)} structures are at least as good as every reference on all six criteria, at a higher "
            "cost than some reference; the cheapest first, with their cost beyond each reference (person-years a "
            "year, paired 95 % CI):</p>" + table(["structure", "cost − reference's", "cost (py)"], rows))


def _front(scenario: Scenario, candidates: pd.DataFrame) -> str:
    front = candidates[candidates["on_front"]].sort_values(f"{COST}_mean")
    q = quantile_label(scenario.search.quantile)
    rows = []
    for _, c in front.head(MAX_DESCRIBED).iterrows():
        scores = "<br>".join(f"{esc(pretty(k))}: {fmt(c[f'{k}_mean'])} [{fmt(c[f'{k}_ci95_low'])}, "
                             f"{fmt(c[f'{k}_ci95_high'])}], {q} {fmt(c[f'{k}_{q}'])}" for k in CRITERIA)
        tag = " <span class='muted'>(reference)</span>" if c["reference"] else ""
        rows.append([esc(c["description"]) + tag, scores, fmt(c[f"{COST}_mean"])])
    more = (f"<p class='muted'>{len(front) - MAX_DESCRIBED} more on the front: see <code>pareto.parquet</code>."
            "</p>" if len(front) > MAX_DESCRIBED else "")
    return (f"<p>{len(front)} structures are not dominated on the objectives by any other judged structure "
            f"(cheapest first). Scores: mean [95 % CI over the points], and {q}, the "
            f"{round(scenario.search.quantile * 100)}th percentile of the point means.</p>"
            + table(["structure", "criteria", "cost (py)"], rows) + more)
