"""One self-contained HTML report of a finished batch: what ran, the comparison, the report's verdicts, figures.

``write_report(folder)`` writes ``folder/report.html``: a single file with inline CSS and the
figures embedded as base64 PNG, so a modeler can mail it.  It reads what ``sim batch`` wrote
(``manifest.json``, ``runs.parquet``, ``summary.csv``, ``steps.parquet/``,
``failures.parquet``), or, for the output folder of ``sim sensitivity``, the Sobol' batch in
``folder/sobol`` and ``folder/sensitivity.csv``; the figures also go to ``folder/figures``.
"""

from __future__ import annotations

import base64
import html
import json
import math
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim import __version__
from sim.experiments.labels import measures_label, model_label, pretty
from sim.experiments.orderings import report_verdicts
from sim.experiments.structural import is_structural
from sim.simulation.metrics import CRITERIA

from ..plots.batch import save_batch_figures
from ..plots.canvas import DPI
from ..plots.sensitivity import read_sensitivity
from ..results import read_summary_csv

NETWORK_DPI = 120
KEY_OUTCOMES = ("assignments_issued", "assignments_completed", "assignments_dropped", "lead_time_weeks",
                "coverage_small", "coverage_medium", "coverage_large", "local_support_small", "local_support_medium",
                "local_support_large", "cost_person_years", "knowledge_base")
UNITS = {"local_support_small": "0–1", "local_support_medium": "0–1", "local_support_large": "0–1","assignments_issued": "count", "assignments_completed": "count", "assignments_dropped": "count",
         "lead_time_weeks": "weeks", "coverage_small": "share", "coverage_medium": "share",
         "coverage_large": "share", "cost_person_years": "person-years per year", "knowledge_base": "0–1"}
CAPTIONS = {
    "criteria": "The report's six criteria (seed 000, table 3) as the model measures them after the last week: "
                "mean over the replications with its 95 % confidence interval. Beneath each model, the report's "
                "own verdict (tables 4–6) for comparison; the simulation does not assign verdicts.",
    "staircase": "The coordination staircase (samordningstrappa, seed 004 §2.2): the share of state-actor relations "
                 "in the field on each step, week by week (mean over runs, stacked). The dark bands show where "
                 "each boundary between two steps lies in 90 % of the runs (5–95 %).",
    "assignments": "Assignments (oppdrag): issued, completed and dropped (cumulative counts) and the lead time "
                   "from issue to completion, at the end of the run (mean and 95 % CI), and over time.",
    "coverage": "Municipal coverage by SSB size class (under 5,000 / 5,000–19,999 / 20,000 and more "
                "inhabitants): the share of municipalities that took up state support in the last year.",
    "measures": "What each measure of seed 002 §5.4 adds under each model: the mean with the measure minus the "
                "mean without measures, with the 95 % confidence interval of the difference (Welch). An "
                "interval that crosses zero is no clear effect at this number of replications.",
    "sensitivity": "Global sensitivity (SALib). Morris: μ*, the mean absolute elementary effect of a parameter on "
                   "the criterion (how much it matters), and σ, their spread (interactions, non-linearity). "
                   "Sobol': first-order S1 (the parameter alone) and total-order ST (with its interactions) shares "
                   "of the criterion's variance; wide intervals mean too few samples.",
}
CSS = """
body{font-family:-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1a1a1a;margin:0;
background:#fafafa;line-height:1.45;font-size:15px}
main{max-width:1100px;margin:0 auto;padding:24px 32px 48px;background:#fff}
h1{font-size:1.7em;margin:0.2em 0 0.1em}h2{font-size:1.3em;margin-top:2em;border-bottom:2px solid #08306b;
padding-bottom:4px;color:#08306b}h3{font-size:1.08em;margin-top:1.4em}
.lede{font-size:1.05em;color:#333;margin-top:0.2em}.muted{color:#666;font-size:0.9em}
nav{background:#f0f4f8;padding:8px 14px;border-radius:4px;font-size:0.92em}nav a{margin-right:14px;color:#08306b}
table{border-collapse:collapse;margin:0.6em 0 1.2em;font-size:0.88em}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f4f8;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.kv th{width:13em}tr.first td{border-top:2px solid #8c9aa8}
.best{font-weight:700}.verdict{font-weight:600}.note{background:#fff8e1;border-left:4px solid #e6a700;
padding:8px 12px;margin:1em 0;font-size:0.93em}.warn{background:#fdecea;border-left:4px solid #c62828;
padding:8px 12px;margin:1em 0}
figure{margin:1.4em 0 2em;page-break-inside:avoid;break-inside:avoid}figure img{max-width:100%;height:auto;
border:1px solid #e5e5e5}figcaption{font-size:0.9em;color:#333;margin-top:6px}
.scroll{overflow-x:auto}code{font-size:0.92em;background:#f3f3f3;padding:0 3px;border-radius:2px}
@media print{body{background:#fff;font-size:11pt}main{max-width:none;padding:0}nav{display:none}
h2{page-break-after:avoid}table{page-break-inside:auto}tr{page-break-inside:avoid}}
"""


class ReportError(ValueError):
    """The folder holds nothing a report can be made of; the message says what is missing and what to run."""


def write_report(folder: str | os.PathLike[str]) -> Path:
    """Write every supported figure to ``folder/figures`` and one self-contained ``folder/report.html``.

    ``folder`` is the output folder of ``sim batch`` (or of ``sim sensitivity``, whose Sobol'
    batch is reported with the indices).  Raises :class:`ReportError` (a ``ValueError``) if it
    holds no finished batch, and :class:`~sim.batch.BatchConflict` (a ``ValueError``) if the batch
    is running, did not finish or does not verify against its checksums.
    """
    from sim.experiments.batch import (
        verify_results,  # the batch package pulls in the model; only a report needs the check
    )

    root = Path(folder)
    batch = _batch_folder(root)
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
    paths = save_batch_figures(root, runs, steps=steps, sensitivity=sensitivity)
    networks = _network_figures(manifest, runs)
    note = ""
    if batch != root:
        note = (f"This is the output folder of <code>sim sensitivity</code>: the tables and most figures describe its "
                f"Sobol' batch (<code>{esc(batch)}</code>), whose design points sample the parameter ranges; the "
                f"Morris batch is in <code>{esc(root / 'morris')}</code>. The indices are in "
                f"<code>{esc(root / 'sensitivity.csv')}</code> and the sensitivity figure.")
    by_point = batch / "summary_by_point.csv"
    page = render(manifest, runs, summary, failures, paths, networks, source=batch, note=note,
                  by_point=read_summary_csv(by_point) if by_point.is_file() else None)
    out = root / "report.html"
    tmp = root / f".report.html.{os.getpid()}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out


def refuse_search(folder: Path, manifest: dict[str, Any], command: str) -> None:
    """A search's folder is not a batch: its runs pool many structures under one base name."""
    if manifest.get("scenario", {}).get("search"):
        raise ReportError(f"{folder} holds a search (`sim search`), whose runs pool many candidate structures under "
                          f"each base model, so `{command}` would mix them. Its report.html, candidates.parquet and "
                          f"pareto.parquet are the search's own; `sim search SCENARIO --out {folder} --resume` "
                          "rebuilds them from the saved runs.")


def _batch_folder(root: Path) -> Path:
    if not root.is_dir():
        raise ReportError(f"{root} is not a folder; give the output folder of `sim batch` (e.g. results/<name>).")
    for candidate in (root, root / "sobol"):
        if (candidate / "runs.parquet").is_file() and (candidate / "manifest.json").is_file():
            if candidate != root and not (root / "sensitivity.csv").is_file():
                continue
            return candidate
    if (root / "manifest.json").is_file():
        status = json.loads((root / "manifest.json").read_text(encoding="utf-8")).get("status")
        raise ReportError(f"{root} holds a batch that has not finished (manifest status {status!r}, no "
                          "runs.parquet); finish it with `sim batch SCENARIO --out "
                          f"{root} --resume`, then run `sim report {root}`.")
    raise ReportError(f"{root} holds no batch results (no runs.parquet and manifest.json); run "
                      f"`sim batch SCENARIO --out {root}` first, or give the folder it wrote.")


# --- the network figure of the other view, when it exists ---
def _network_figures(manifest: dict[str, Any], runs: pd.DataFrame) -> list[tuple[str, bytes | None, str]]:
    """One actor network per model at the end of replication 0 (no measures' set first), if ``sim.network`` exists.

    Returns (title, PNG bytes or None, caption or error) triples; empty if the module is absent.
    """
    try:
        from ..plots.network import actor_network
    except ImportError:
        return []
    import io

    from sim.experiments.batch.specs import plan
    from sim.experiments.batch.work import simulated
    from sim.experiments.scenario import scenario_from_dict
    from sim.simulation.model import CoordinationModel

    scenario = scenario_from_dict(manifest.get("scenario", {}), "manifest.json")
    specs = {s.run_id: s for s in plan(scenario)}
    found = []
    for structure in dict.fromkeys(runs["structure"]):
        rows = runs[runs["structure"] == structure].sort_values(["point", "replication"], kind="stable")
        first = rows.iloc[0]
        measures = tuple(m for m in str(first["measures"]).split(",") if m)
        title = f"{model_label(structure)}, {measures_label(first['measures'])}"
        try:
            organisation, params = simulated(specs[first["run_id"]], scenario)
            model = CoordinationModel(structure=organisation, measures=scenario.measure_set(measures),
                                      engine=scenario.engine, municipalities=scenario.municipalities,
                                      mandate_change_week=scenario.mandate_change, rer_pot=scenario.rer_pot,
                                      rng=int(first["seed"]), **params)
            model.run_weeks(scenario.weeks)
            fig = actor_network(model)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", dpi=NETWORK_DPI)
            _release(fig)
            caption = (f"run {first['run_id']} (seed {int(first['seed'])}, replication {int(first['replication'])}) "
                       f"after week {model.week}")
            found.append((title, buffer.getvalue(), caption))
        except Exception as exc:  # noqa: BLE001 - the report must not fail on the optional view
            found.append((title, None, f"the network figure could not be drawn: {type(exc).__name__}: {exc}"))
    return found


def _release(fig: Any) -> None:
    """Close a figure if pyplot manages it (the network view may use pyplot); plain Figures need nothing."""
    import sys

    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close(fig)


# --- HTML ---
def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(value: float, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.{digits}f}"


def mean_with_ci(row: pd.Series) -> str:
    mean, low, high = row["mean"], row["ci95_low"], row["ci95_high"]
    if not (math.isfinite(low) and math.isfinite(high)):
        return f"{fmt(mean)} <span class='muted'>(n = {int(row['n'])}, no CI)</span>"
    return f"{fmt(mean)} <span class='muted'>[{fmt(low)}, {fmt(high)}]</span>"


def table(header: Sequence[str] | None, rows: Iterable[Sequence[str]], *, classes: str = "",
          numeric_from: int | None = None, first_rows: Sequence[int] = (), row_headers: bool = False) -> str:
    """An HTML table; cells are already-escaped HTML.  ``first_rows`` start a group (a rule above them)."""
    head = "<thead><tr>" + "".join(f"<th>{h}</th>" for h in header) + "</tr></thead>" if header else ""
    body = []
    for r, row in enumerate(rows):
        cells = []
        for k, cell in enumerate(row):
            if row_headers and k == 0:
                cells.append(f"<th>{cell}</th>")
                continue
            cls = " class='num'" if numeric_from is not None and k >= numeric_from else ""
            cells.append(f"<td{cls}>{cell}</td>")
        cls = " class='first'" if r in first_rows else ""
        body.append(f"<tr{cls}>" + "".join(cells) + "</tr>")
    return (f"<div class='scroll'><table class='{classes}'>{head}<tbody>" + "".join(body)
            + "</tbody></table></div>")


def render(manifest: dict[str, Any], runs: pd.DataFrame, summary: pd.DataFrame, failures: pd.DataFrame,
           figures: Sequence[Path], networks: Sequence[tuple[str, bytes | None, str]], *, source: Path,
           note: str = "", by_point: pd.DataFrame | None = None) -> str:
    """The report page as one HTML string (``by_point``: ``summary_by_point.csv``, for designs)."""
    scenario = manifest.get("scenario", {})
    name = scenario.get("name", source.name)
    summary, runs = labelled(summary), labelled(runs)
    sections = [
        ("run", "What was run", _what_was_run(manifest, failures)),
        ("comparison", "Comparison", _comparison(summary, runs)),
        *([("points", "By design point", _by_point(by_point))] if by_point is not None else []),
        ("verdicts", "Beside the report's verdicts", _verdicts(summary)),
        ("figures", "Figures", _figures(figures, networks)),
    ]
    nav = "".join(f"<a href='#{key}'>{esc(title)}</a>" for key, title, _ in sections)
    body = "".join(f"<section id='{key}'><h2>{esc(title)}</h2>{content}</section>" for key, title, content in sections)
    created = time.strftime("%Y-%m-%d %H:%M")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="samordning-sim {esc(__version__)}">
<title>{esc(name)}: simulation report</title>
<style>{CSS}</style></head>
<body><main>
<p class="muted">samordning-sim · coordination structures for drug prevention among children and youth</p>
<h1>{esc(name)}</h1>
<p class="lede">{esc(scenario.get("description", "")) or "<span class='muted'>(no description)</span>"}</p>
<nav>{nav}</nav>
{f"<p class='note'>{note}</p>" if note else ""}
{body}
<hr><p class="muted">Written by <code>sim report</code> (samordning-sim {esc(__version__)}) on {esc(created)} from
<code>{esc(source)}</code>. Every number comes from the batch's own tables (<code>summary.csv</code>,
<code>runs.parquet</code>); every run can be reproduced from its seed in <code>manifest.json</code>.</p>
</main></body></html>
"""


MAX_POINTS_SHOWN = 60  # design points the report lists one by one; summary_by_point.csv has them all


def labelled(frame: pd.DataFrame) -> pd.DataFrame:
    """Structural fields folded into the structure's label, so another value reads as another structure."""
    fields = [c for c in frame.columns if is_structural(c)]
    if not fields or frame.empty:
        return frame
    frame = frame.copy()
    frame["structure"] = [f"{s} [{', '.join(f'{c}={v}' for c, v in zip(fields, values, strict=True))}]"
                          for s, *values in zip(frame["structure"], *(frame[c] for c in fields), strict=True)]
    return frame.drop(columns=fields)


def _by_point(by_point: pd.DataFrame) -> str:
    """Each design point's factor values and mean criteria (mean over its replications)."""
    keys = [c for c in by_point.columns if c not in ("outcome", "points", "n", "mean", "std", "ci95_low", "ci95_high")]
    factors = [c for c in keys if c not in ("structure", "measures", "point")]
    wide = by_point[by_point["outcome"].isin(CRITERIA)].pivot_table(index=keys, columns="outcome", values="mean",
                                                                    sort=False).reset_index()
    shown = wide.head(MAX_POINTS_SHOWN)
    rows = [[esc(model_label(r["structure"])), esc(measures_label(r["measures"])), str(int(r["point"])),
             *(esc(_value(r[f])) for f in factors), *(fmt(r[c]) for c in CRITERIA)] for _, r in shown.iterrows()]
    more = (f"<p class='muted'>{len(wide) - MAX_POINTS_SHOWN} more rows in <code>summary_by_point.csv</code>.</p>"
            if len(wide) > MAX_POINTS_SHOWN else "")
    return ("<p>Mean of each criterion over the replications at each design point, with the point's values "
            "(<code>summary_by_point.csv</code> also has the CIs and every other outcome).</p>"
            + table(["model", "measures", "point", *map(esc, factors), *(esc(pretty(c)) for c in CRITERIA)], rows,
                    numeric_from=3) + more)


def _describe_design(design: dict[str, Any]) -> str:
    kind = design.get("kind", "none")
    if kind == "none":
        return "none (base parameters only)"
    parts = [f"<code>{esc(kind)}</code>"]
    for factor, values in design.get("values", {}).items():
        parts.append(f"{esc(factor)} ∈ {{{esc('; '.join(_value(v) for v in values))}}}")
    for factor, (low, high) in design.get("ranges", {}).items():
        parts.append(f"{esc(factor)} ∈ [{low:g}, {high:g}]")
    if kind in ("lhs", "sobol", "morris"):
        parts.append(f"samples = {design.get('samples')}")
        if kind == "morris":
            parts.append(f"levels = {design.get('levels')}")
        parts.append(f"design seed = {design.get('seed')}")
    return "; ".join(parts)


def _value(value: Any) -> str:
    """A design value in words: numbers as %g, lists of codes joined, text as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return f"{value:g}"


def _what_was_run(manifest: dict[str, Any], failures: pd.DataFrame) -> str:
    scenario = manifest.get("scenario", {})
    weeks = scenario.get("weeks")
    replications = scenario.get("replications")
    if isinstance(replications, dict):
        rule = ", ".join(f"{k} = {v}" for k, v in replications.items())
        replications_text = f"adaptive ({esc(rule)})"
    else:
        replications_text = esc(replications)
    measure_sets = "; ".join(esc(measures_label(",".join(m))) for m in scenario.get("measures", [[]]))
    parameters = scenario.get("parameters") or {}
    rows = [
        ("Scenario", f"<code>{esc(scenario.get('name'))}</code>"),
        ("Description", esc(scenario.get("description", "")) or "–"),
        ("Organisation models", ", ".join(esc(model_label(s)) for s in scenario.get("structures", []))),
        ("Measure sets", measure_sets),
        ("Weeks", f"{esc(weeks)} ({weeks / 52:.1f} years of weekly steps)" if isinstance(weeks, int) else esc(weeks)),
        ("Replications", replications_text),
        ("Base seed", esc(scenario.get("seed"))),
        ("Engine", esc(scenario.get("engine"))),
        ("Municipalities", esc(scenario.get("municipalities"))),
        ("Base parameters", ", ".join(f"{esc(k)} = {v:g}" for k, v in parameters.items()) or "defaults"),
        ("Design", _describe_design(scenario.get("design", {}))),
        ("Runs", (f"{esc(manifest.get('runs_finished'))} finished of {esc(manifest.get('runs_planned'))} planned, "
                  f"{esc(manifest.get('runs_failed'))} failed")),
        ("Status", esc(manifest.get("status"))),
        ("Started / finished", f"{esc(manifest.get('started', '–'))} / {esc(manifest.get('finished', '–'))}"),
        ("Backend", f"{esc(manifest.get('backend', '–'))}, {esc(manifest.get('workers', '–'))} workers"),
        ("Scenario file SHA-256", f"<code>{esc(manifest.get('scenario_sha256', '–'))}</code>"),
    ]
    stops = manifest.get("adaptive_stops") or {}
    if stops:
        rows.append(("Adaptive stops", "<br>".join(f"<code>{esc(k)}</code>: {esc(v)}" for k, v in stops.items())))
    out = table(None, rows, classes="kv", row_headers=True)
    versions = manifest.get("versions", {})
    if versions:
        out += "<h3>Package and dependency versions</h3>" + table(
            [esc(k) for k in versions], [[esc(v) for v in versions.values()]])
    if manifest.get("status") != "finished":
        out += ("<p class='warn'>The manifest says this batch has not finished; the tables hold what had finished "
                "when it last completed.</p>")
    if not failures.empty:
        shown = failures.head(10)
        out += (f"<p class='warn'>{len(failures)} runs failed; they are not in any table or figure. "
                "<code>sim batch … --resume</code> retries them. The first ones:</p>")
        out += table(["run_id", "model", "measures", "replication", "error"],
                     [(f"<code>{esc(r['run_id'])}</code>", esc(r.get("structure", "")),
                       esc(measures_label(r.get("measures", "") or "")), esc(r.get("replication", "")),
                       esc(r.get("error", ""))) for _, r in shown.iterrows()])
    return out


def _comparison(summary: pd.DataFrame, runs: pd.DataFrame) -> str:
    groups = list(dict.fromkeys(zip(summary["structure"], summary["measures"], strict=True)))
    indexed = summary.set_index(["structure", "measures", "outcome"])
    points = runs["point"].nunique()
    intro = ("<p>Mean over the replications and, in brackets, the 95 % confidence interval of the mean "
             "(t-based; <code>summary.csv</code>), after the last week. The highest mean of each criterion among "
             "runs with the same measure set is in bold. Criteria lie in 0–1; higher is more of what the report "
             "calls good.")
    intro += (f" Each group pools all {points} design points of the batch, so these are averages over the design, "
              "not results at the base values.</p>" if points > 1 else "</p>")
    best = {}
    for criterion in CRITERIA:
        part = summary[summary["outcome"] == criterion]
        for measures, by_set in part.groupby("measures", sort=False):
            best[(measures, criterion)] = by_set["mean"].max()

    several = len({m for _, m in groups}) > 1
    first = ["model", "measures", "runs"] if several else ["model", "runs"]

    def rows(outcomes: Sequence[str], bold: bool) -> list[list[str]]:
        out = []
        for structure, measures in groups:
            n = int(indexed.loc[(structure, measures, outcomes[0]), "n"])
            cells = [esc(model_label(structure)), *([esc(measures_label(measures))] if several else []), str(n)]
            for outcome in outcomes:
                row = indexed.loc[(structure, measures, outcome)]
                text = mean_with_ci(row)
                if bold and math.isclose(row["mean"], best[(measures, outcome)], rel_tol=0, abs_tol=1e-12):
                    text = f"<span class='best'>{text}</span>"
                cells.append(text)
            out.append(cells)
        return out

    criteria_table = table([*first, *[esc(pretty(c)) for c in CRITERIA]], rows(CRITERIA, True),
                           numeric_from=len(first))
    out = intro + "<h3>The six criteria</h3>" + criteria_table + "<h3>Key outcomes</h3>"
    out += ("<p>Assignment counts are cumulative over the run; lead time, coverage and cost are over the last "
            "52 weeks; coverage is the share of municipalities in the size class (SSB) that took up state "
            "support in the last year.</p>")
    present = set(summary["outcome"])
    for block in (KEY_OUTCOMES[:4], KEY_OUTCOMES[4:]):
        outcomes = [o for o in block if o in present]
        if outcomes:
            header = [f"{esc(pretty(o))}<br><span class='muted'>({esc(UNITS[o])})</span>" for o in outcomes]
            out += table([*first, *header], rows(outcomes, False), numeric_from=len(first))
    return out


def _verdicts(summary: pd.DataFrame) -> str:
    verdicts = report_verdicts().set_index(["structure", "criterion"])["verdict"]
    sets = list(dict.fromkeys(summary["measures"]))
    measures = "" if "" in sets else sets[0]
    part = summary[(summary["measures"] == measures) & summary["outcome"].isin(CRITERIA)]
    structures = list(dict.fromkeys(part["structure"]))
    note = ("<p class='note'>The report (seed 000, tables 4–6) judges models 1–3 on each criterion as "
            "<em>weak</em>, <em>medium</em> or <em>strong</em>; it does not rate today's organisation. Here each "
            "model's simulated mean (95 % CI) is shown with its <strong>rank among the "
            f"{len(structures)} models compared in this batch</strong> (1 = highest mean) next to the report's "
            "verdict. Agreement in ordering, not in level, is what can be read off. The formal rule (the "
            "report's 14 strict orderings, Welch 95 % intervals) is <code>sim compare-report</code>; with "
            "<code>--posterior results/calibration</code> it adds each ordering's posterior probability "
            "(docs/VALIDATION.md, docs/CALIBRATION.md).")
    note += (f" Ranks use the runs with <strong>{esc(measures_label(measures))}</strong>." if len(sets) > 1 else "")
    note += "</p>"
    if len(structures) < 2:
        note += "<p class='muted'>Only one model was run, so ranks say nothing here.</p>"
    rows, starts = [], []
    for criterion in CRITERIA:
        starts.append(len(rows))
        values = part[part["outcome"] == criterion].set_index("structure")
        ranks = values["mean"].rank(ascending=False, method="min")
        for k, structure in enumerate(structures):
            row = values.loc[structure]
            verdict = verdicts.get((structure, criterion))
            label = (f"<span class='verdict'>{esc(verdict)}</span>" if verdict is not None
                     else "<span class='muted'>not rated</span>")
            rows.append([f"<strong>{esc(pretty(criterion))}</strong>" if k == 0 else "",
                         esc(model_label(structure)), mean_with_ci(row),
                         f"{int(ranks[structure])} of {len(structures)}", label])
    return note + table(["criterion", "model", "simulated mean [95 % CI]", "rank in this batch",
                         "report's verdict"], rows, first_rows=starts[1:])


def _img(data: bytes, alt: str, dpi: int) -> str:
    """The PNG inline, shown at its printed size (so text is the same size in every figure), at most page-wide."""
    width = int.from_bytes(data[16:20], "big") if data[:8] == b"\x89PNG\r\n\x1a\n" else 0
    style = f" style='width:{round(width / dpi * 96)}px'" if width else ""
    return (f"<img alt='{esc(alt)}'{style} src='data:image/png;base64,"
            f"{base64.b64encode(data).decode('ascii')}'>")


def _figures(paths: Sequence[Path], networks: Sequence[tuple[str, bytes | None, str]]) -> str:
    out = ["<p>Also written as PNG files to <code>figures/</code> next to this report.</p>"]
    for path in paths:
        stem = path.stem
        if stem.startswith("sweep_"):
            parameter = stem.removeprefix("sweep_")
            caption = (f"Response of the six criteria to <code>{esc(parameter)}</code>, the parameter this design "
                       "varies: mean and 95 % CI per value (or per quantile bin of values, for sampled designs), "
                       "one line per model; the dotted line is the parameter's default.")
        else:
            caption = esc(CAPTIONS.get(stem, stem))
        out.append(f"<figure>{_img(path.read_bytes(), stem, DPI)}<figcaption>{caption}</figcaption></figure>")
    if networks:
        out.append("<h3>The actor networks</h3><p>Each model's state actors at the end of one run, the relations "
                   "coloured by their staircase step.</p>")
        for title, data, caption in networks:
            if data is None:
                out.append(f"<p class='warn'>{esc(title)}: {esc(caption)}</p>")
            else:
                out.append(f"<figure>{_img(data, title, NETWORK_DPI)}"
                           f"<figcaption>{esc(title)}: {esc(caption)}.</figcaption></figure>")
    return "".join(out)
