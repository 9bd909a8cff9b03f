"""One self-contained HTML report of a finished batch: what ran, the comparison, the report's verdicts, figures.

``write_report(folder)`` writes ``folder/report.html``: a single file with inline CSS and the
figures embedded as base64 PNG, so a modeler can mail it.  It reads what ``sim batch`` wrote
(``manifest.json``, ``runs.parquet``, ``summary.csv``, ``steps.parquet/``,
``failures.parquet``), or, for the output folder of ``sim sensitivity``, the Sobol' batch in
``folder/sobol`` and ``folder/sensitivity.csv``; the figures also go to ``folder/figures``.
Here the numbers each section shows are assembled; ``templates/report.html`` lays them out.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import pandas as pd

from sim.experiments.batch import verify_results
from sim.experiments.orderings import report_verdicts, welch_ranks
from sim.experiments.structural import is_structural
from sim.simulation.metrics import CRITERIA, HORIZON_YEARS, at_horizon

from ..plots.batch import save_batch_figures
from ..plots.canvas import DPI
from ..plots.sensitivity import read_sensitivity
from ..results import read_summary_csv
from ..validation import answer
from .folder import ReportError, batch_folder, counterpart, refuse_search
from .networks import NETWORK_DPI, network_figures
from .render import png, render_page

KEY_OUTCOMES = ("assignments_issued", "assignments_completed", "assignments_dropped", "lead_time_weeks",
                "coverage_small", "coverage_medium", "coverage_large", "local_support_small", "local_support_medium",
                "local_support_large", "cost_person_years", "knowledge_base")
UNITS = {"local_support_small": "0–1", "local_support_medium": "0–1", "local_support_large": "0–1",
         "assignments_issued": "count", "assignments_completed": "count", "assignments_dropped": "count",
         "lead_time_weeks": "weeks", "coverage_small": "share", "coverage_medium": "share",
         "coverage_large": "share", "cost_person_years": "person-years per year", "knowledge_base": "0–1"}
MAX_POINTS_SHOWN = 60  # design points the report lists one by one; summary_by_point.csv has them all


def write_report(folder: str | os.PathLike[str], mandate_change: str | os.PathLike[str] | None = None,
                 progress: Callable[[str], None] | None = None) -> Path:
    """Write every supported figure to ``folder/figures`` and one self-contained ``folder/report.html``.

    ``folder`` is the output folder of ``sim batch`` (or of ``sim sensitivity``, whose Sobol'
    batch is reported with the indices).  ``mandate_change``: the same models under the other
    premise about the mandate, whose difference the answer at the top states (default: the
    batch beside it named ``<name>_mandate_change``, or ``<name>`` for such a batch, if finished).
    ``progress`` is told each stage as it starts.  Raises :class:`ReportError` (a ``ValueError``) if it
    holds no finished batch, and :class:`~sim.experiments.batch.BatchConflict` (a ``ValueError``) if
    the batch is running, did not finish or does not verify against its checksums.
    """
    say = progress or (lambda _: None)
    root = Path(folder)
    batch = batch_folder(root)
    say(f"checking {batch} against its checksums")
    verify_results(batch)  # a folder that does not verify is refused, never reported
    manifest = json.loads((batch / "manifest.json").read_text(encoding="utf-8"))
    refuse_search(batch, manifest, "sim report")
    runs = pd.read_parquet(batch / "runs.parquet")
    if runs.empty:
        raise ReportError(f"{batch} holds no finished runs ({manifest.get('runs_failed', 0)} failed, see "
                          f"{batch / 'failures.parquet'}); there is nothing to report.")
    summary = read_summary_csv(batch / "summary.csv")
    steps = pd.read_parquet(batch / "steps.parquet") if (batch / "steps.parquet").is_dir() else None
    sensitivity = read_sensitivity(root / "sensitivity.csv") if (root / "sensitivity.csv").is_file() else None
    failures = (pd.read_parquet(batch / "failures.parquet") if (batch / "failures.parquet").is_file()
                else pd.DataFrame())
    other = Path(mandate_change) if mandate_change is not None else counterpart(batch, manifest)
    say("drawing the figures")
    paths = save_batch_figures(root, runs, steps=steps, sensitivity=sensitivity)
    say("simulating one run of each model for the network figures")
    networks = network_figures(manifest, runs)
    say("writing report.html" + (f" (with {other} for the change of mandate)" if other else ""))
    by_point = batch / "summary_by_point.csv"
    page = render(manifest, runs, summary, failures, paths, networks, source=batch,
                  sensitivity_root=root if batch != root else None,
                  by_point=read_summary_csv(by_point) if by_point.is_file() else None,
                  mandate_change=_other_batch(other) if other else None)
    out = root / "report.html"
    tmp = root / f".report.html.{os.getpid()}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out


def render(manifest: dict[str, Any], runs: pd.DataFrame, summary: pd.DataFrame, failures: pd.DataFrame,
           figures: Sequence[Path], networks: Sequence[tuple[str, bytes | None, str]], *, source: Path,
           sensitivity_root: Path | None = None, by_point: pd.DataFrame | None = None,
           mandate_change: OtherPremise | None = None) -> str:
    """The report page as one HTML string (``sensitivity_root``: the folder of ``sim sensitivity`` reported;
    ``by_point``: ``summary_by_point.csv``, for designs; ``mandate_change``: the runs and ``mandate_change_week``
    of the same models under the other premise)."""
    scenario = manifest.get("scenario", {})
    summary, runs = labelled(summary), labelled(runs)
    horizons = _horizons(summary)
    measures = _ranked_measures(summary)
    other = mandate_change
    verdict = answer(runs, measures, scenario.get("mandate_change_week"),
                     None if other is None else labelled(other.runs), None if other is None else other.week)
    sections = [("answer", "The answer"), ("run", "What was run"), ("comparison", "Comparison"),
                *([("horizons", "Over time: after 2, 5 and 10 years")] if horizons["years"] else []),
                *([("points", "By design point")] if by_point is not None else []),
                ("verdicts", "Beside the report's verdicts"), ("figures", "Figures")]
    sensitivity = {} if sensitivity_root is None else {
        "sobol": source, "morris": sensitivity_root / "morris", "indices": sensitivity_root / "sensitivity.csv"}
    return render_page(
        "report.html", name=scenario.get("name", source.name), description=scenario.get("description", ""),
        sections=sections, source=source, criteria=CRITERIA, units=UNITS, manifest=manifest,
        failures=failures.to_dict("records"), sobol=sensitivity.get("sobol"), morris=sensitivity.get("morris"),
        indices=sensitivity.get("indices"), comparison=_comparison(summary, runs), horizons=horizons,
        points=_by_point(by_point) if by_point is not None else None, verdicts=_verdicts(summary, runs, measures),
        answer=verdict, mandate_folder=None if other is None else other.folder,
        figures=[{"stem": path.stem, "png": png(path.read_bytes(), DPI)} for path in figures],
        networks=[{"title": title, "png": None if data is None else png(data, NETWORK_DPI), "caption": caption}
                  for title, data, caption in networks])


class OtherPremise(NamedTuple):
    """The same models under the other premise about the mandate: their runs, ``mandate_change_week`` and folder."""

    runs: pd.DataFrame
    week: Any
    folder: Path


def _other_batch(folder: Path) -> OtherPremise:
    """The finished batch of ``--mandate-change`` (or beside the reported one), verified like the reported one."""
    batch = batch_folder(folder)
    verify_results(batch)
    manifest = json.loads((batch / "manifest.json").read_text(encoding="utf-8"))
    refuse_search(batch, manifest, "sim report --mandate-change")
    return OtherPremise(pd.read_parquet(batch / "runs.parquet"), manifest.get("scenario", {}).get("mandate_change_week"),
                        batch)


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Structural fields folded into the structure's label, so another value reads as another structure."""
    fields = [c for c in frame.columns if is_structural(c)]
    if not fields or frame.empty:
        return frame
    frame = frame.copy()
    frame["structure"] = [f"{s} [{', '.join(f'{c}={v}' for c, v in zip(fields, values, strict=True))}]"
                          for s, *values in zip(frame["structure"], *(frame[c] for c in fields), strict=True)]
    return frame.drop(columns=fields)


def _cell(row: pd.Series, best: float | None = None) -> dict[str, Any]:
    """A summary row as the template shows it: mean, 95 % CI, runs; ``best`` when it is the highest mean."""
    return {"mean": row["mean"], "low": row["ci95_low"], "high": row["ci95_high"], "n": int(row["n"]),
            "best": best is not None and math.isclose(row["mean"], best, rel_tol=0, abs_tol=1e-12)}


def _comparison(summary: pd.DataFrame, runs: pd.DataFrame) -> dict[str, Any]:
    """Each group's mean and CI of the criteria (the highest per measure set marked) and of the key outcomes."""
    groups = list(dict.fromkeys(zip(summary["structure"], summary["measures"], strict=True)))
    indexed = summary.set_index(["structure", "measures", "outcome"])
    best = {}
    for criterion in CRITERIA:
        part = summary[summary["outcome"] == criterion]
        for measures, by_set in part.groupby("measures", sort=False):
            best[(measures, criterion)] = by_set["mean"].max()

    def rows(outcomes: Sequence[str], bold: bool) -> list[dict[str, Any]]:
        return [{"structure": structure, "measures": measures,
                 "n": int(indexed.loc[(structure, measures, outcomes[0]), "n"]),
                 "cells": [_cell(indexed.loc[(structure, measures, outcome)],
                                 best[(measures, outcome)] if bold else None) for outcome in outcomes]}
                for structure, measures in groups]

    present = set(summary["outcome"])
    # assignments; coverage; support, cost and knowledge: three tables narrow enough for a 1280 px window
    blocks = [[o for o in block if o in present] for block in (KEY_OUTCOMES[:4], KEY_OUTCOMES[4:7], KEY_OUTCOMES[7:])]
    return {"points": runs["point"].nunique(), "several": len({m for _, m in groups}) > 1,
            "criteria": rows(CRITERIA, True),
            "blocks": [{"outcomes": outcomes, "rows": rows(outcomes, False)} for outcomes in blocks if outcomes]}


def _horizons(summary: pd.DataFrame) -> dict[str, Any]:
    """Each group's criteria after each horizon the runs reached (``summary.csv``'s ``<criterion>_at_<n>y`` rows)."""
    years = [y for y in HORIZON_YEARS if (summary["outcome"] == at_horizon(CRITERIA[0], y)).any()]
    groups = list(dict.fromkeys(zip(summary["structure"], summary["measures"], strict=True)))
    indexed = summary.set_index(["structure", "measures", "outcome"])
    criteria = [{"name": criterion, "rows": [
        {"structure": structure, "measures": measures,
         "cells": [_cell(indexed.loc[(structure, measures, at_horizon(criterion, y))]) for y in years]}
        for structure, measures in groups]} for criterion in CRITERIA] if years else []
    return {"years": years, "headers": [f"after {y} years" for y in years], "several": len({m for _, m in groups}) > 1,
            "criteria": criteria}


def _by_point(by_point: pd.DataFrame) -> dict[str, Any]:
    """Each design point's factor values and mean criteria (mean over its replications)."""
    keys = [c for c in by_point.columns if c not in ("outcome", "points", "n", "mean", "std", "ci95_low", "ci95_high")]
    factors = [c for c in keys if c not in ("structure", "measures", "point")]
    wide = by_point[by_point["outcome"].isin(CRITERIA)].pivot_table(index=keys, columns="outcome", values="mean",
                                                                    sort=False).reset_index()
    rows = [{"structure": r["structure"], "measures": r["measures"], "point": int(r["point"]),
             "factors": [r[f] for f in factors], "means": [r[c] for c in CRITERIA]}
            for _, r in wide.head(MAX_POINTS_SHOWN).iterrows()]
    return {"factors": factors, "rows": rows, "more": max(0, len(wide) - MAX_POINTS_SHOWN)}


def _ranked_measures(summary: pd.DataFrame) -> str:
    """The measure set the verdicts and the answer rank structures under: none if the batch ran without, else its
    first."""
    sets = list(dict.fromkeys(summary["measures"]))
    return "" if "" in sets else sets[0]


def _verdicts(summary: pd.DataFrame, runs: pd.DataFrame, measures: str) -> dict[str, Any]:
    """Each model's mean and rank per criterion in this batch, beside the report's verdict (with ``measures``).

    A rank is the range the Welch intervals allow (:func:`~sim.experiments.orderings.welch_ranks`): "2–3 of 4"
    where a model's interval overlaps its neighbour's."""
    verdicts = report_verdicts().set_index(["structure", "criterion"])["verdict"]
    part = summary[(summary["measures"] == measures) & summary["outcome"].isin(CRITERIA)]
    data = runs[runs["measures"] == measures]
    structures = list(dict.fromkeys(part["structure"]))
    criteria = []
    for criterion in CRITERIA:
        values = part[part["outcome"] == criterion].set_index("structure")
        ranks = welch_ranks({s: data.loc[data["structure"] == s, criterion].to_numpy(float) for s in structures})
        criteria.append({"name": criterion, "entries": [
            {"structure": s, "cell": _cell(values.loc[s]), "rank": _rank_text(*ranks[s]),
             "verdict": verdicts.get((s, criterion))} for s in structures]})
    return {"measures": measures, "several_sets": summary["measures"].nunique() > 1, "models": len(structures),
            "criteria": criteria}


def _rank_text(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"
