"""``sim compare-report``: a batch's simulated verdicts and the report's 14 orderings beside tables 4-6."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim.analysis.report.folder import refuse_search
from sim.analysis.validation import NotComparable, side_by_side, write_reference
from sim.experiments.batch.manifest import read_manifest
from sim.experiments.orderings import MODELS, ordering_table, orderings_by_horizon, present_models

from .printing import encodable, print_table


def compare_report(args: argparse.Namespace) -> int:
    folders = [Path(args.folder), *([Path(args.mandate_change)] if args.mandate_change else [])]
    for k, folder in enumerate(folders):
        if k:
            print("\n" + "=" * 78 + "\n")
        _compare_one(folder, args.measures, args.save if k == 0 else None,
                     _posterior(Path(args.posterior)) if args.posterior else None)
    return 0


def _posterior(folder: Path) -> pd.DataFrame:
    """A calibration's posterior predictive table (``predictive.csv`` of `sim calibrate`), or a clear error."""
    path = folder / "predictive.csv"
    if not path.is_file():
        raise ValueError(f"{folder} has no predictive.csv; --posterior needs the output folder of `sim calibrate`.")
    table = pd.read_csv(path)
    missing = {"kind", "statement", "premise", "horizon_years", "probability", "mc_se", "calibration"} - set(table)
    if missing:
        raise ValueError(f"{path} lacks the columns {', '.join(sorted(missing))}: it was written by an older "
                         "`sim calibrate`; run the calibration again (scenarios/calibration.toml).")
    return table


PREMISES = {"never": "no change of mandate", 104: "change of mandate in week 104"}


def _chances(predictive: pd.DataFrame, folder: Path, kind: str) -> dict[str, str]:
    """Calibration A's posterior predictive probability of each statement of ``kind`` under the folder's premise,
    after ten years: ``"0.83 ± 0.03"`` (Monte Carlo standard error)."""
    week = ((read_manifest(folder) or {}).get("scenario") or {}).get("mandate_change_week")
    rows = predictive[(predictive["kind"] == kind) & (predictive["calibration"] == "A")
                      & (predictive["premise"] == PREMISES.get(week, "")) & (predictive["horizon_years"] == 10)]
    return {r.statement: f"{r.probability:.2f} ± {r.mc_se:.2f}" for r in rows.itertuples(index=False)}


def _compare_one(folder: Path, measures: str, save: str | None, predictive: pd.DataFrame | None = None) -> None:
    """Print one batch's verdicts and orderings beside the report's, headed by its premise about the mandate."""
    runs = _finished_runs(folder)
    try:
        table = side_by_side(runs, measures)
    except NotComparable as exc:
        raise NotComparable(f"{folder}: {exc}") from exc
    orderings = ordering_table(runs, measures)
    present = present_models(runs, measures)
    data = runs[runs["measures"] == measures]
    counts = ", ".join(f"{m} {int((data['structure'] == m).sum())}" for m in MODELS)
    label = f"measures {measures!r}" if measures else "no measures"
    mark = "✓" if encodable("✓") else "*"
    print(f"{folder}\n{_premise(folder)}\n{label}; runs per model: {counts}\n")
    if len(present) < len(MODELS):
        print(f"Only {' and '.join(present)} have runs here: the verdicts and orderings are those among them "
              "(a simulated verdict is relative to the models compared).\n")
    print(f"Verdicts, simulated / report ({mark} = agrees in ordering: above, below or level with each other\n"
          "model as the report has it; the labels are relative to the models compared and need not match):")
    cells = [[row["criterion"], *(f"{row[f'{m}_simulated']} / {row[f'{m}_report']}"
                                  f"{' ' + mark if row[f'{m}_agrees'] else ''}" for m in present)]
             for _, row in table.iterrows()]
    print_table(["criterion", *present], cells)
    print("\nOrderings the report implies (difference = higher - lower; Welch 95 % CI):")
    chance = {} if predictive is None else _chances(predictive, folder, "ordering")
    extra = [] if predictive is None else ["P (calibration A)"]
    print_table(["criterion", "report", "difference", "95 % CI", "reproduced", *extra],
                 [[r.criterion, f"{r.lower} < {r.higher}", f"{r.difference:.3f}",
                   f"[{r.ci95_low:.3f}, {r.ci95_high:.3f}]", "yes" if r.reproduced else "no",
                   *([chance.get(f"{r.criterion}: {r.lower} < {r.higher}", "-")] if extra else [])]
                  for r in orderings.itertuples(index=False)],
                 right=(2,))
    by_horizon = orderings_by_horizon(runs, measures)
    years = [int(c[len("reproduced_"):-1]) for c in by_horizon.columns if c.startswith("reproduced_")]
    if len(years) > 1:
        print(f"\nThe same orderings as the criteria stood after {', '.join(map(str, years))} years "
              "(difference, * where the Welch 95 % CI excludes zero on the report's side):")
        print_table(["criterion", "report", *(f"{y} years" for y in years)],
                    [[r["criterion"], f"{r['lower']} < {r['higher']}",
                      *(f"{r[f'difference_{y}y']:+.3f}{' *' if r[f'reproduced_{y}y'] else '  '}" for y in years)]
                     for _, r in by_horizon.iterrows()], right=tuple(range(2, 2 + len(years))))
        print("held: " + ", ".join(f"{int(by_horizon[f'reproduced_{y}y'].sum())} of {len(by_horizon)} after {y} years"
                                   for y in years))
    if predictive is not None:
        for statement, chance_of in _chances(predictive, folder, "relation").items():
            print(f"relation to today: {statement}: P = {chance_of}")
        if not chance:
            print("P (calibration A): the calibration's table has no row for this batch's premise about the mandate.")
        else:
            draws = int(predictive.loc[predictive["calibration"] == "A", "draws"].max())
            print(f"P (calibration A): the posterior predictive probability that mean(higher) > mean(lower) after ten "
                  f"years under this premise, over {draws} draws of calibration A, which was fitted to the seeds' "
                  "process patterns only: the report's orderings are out of sample. ± its Monte Carlo standard "
                  "error (docs/CALIBRATION.md).")
    if save:
        written = write_reference(runs, save, measures)
        print(f"\ntables -> {Path(save)}: {', '.join(p.name for p in written)}")
    agree = sum(int(table[f"{m}_agrees"].sum()) for m in present)
    same = sum(int((table[f"{m}_simulated"] == table[f"{m}_report"]).sum()) for m in present)
    cells_count = len(table) * len(present)
    print(f"\n{int(orderings['reproduced'].sum())} of {len(orderings)} orderings reproduced; "
          f"{agree} of {cells_count} cells agree in ordering ({mark}), {same} of {cells_count} in label")


def _premise(folder: Path) -> str:
    """The batch's premise about model 3's change of mandate, read from its manifest."""
    week = ((read_manifest(folder) or {}).get("scenario") or {}).get("mandate_change_week")
    if week is None:
        return "premise about a change of mandate: unknown (no readable manifest)"
    if week == "never":
        return "premise: no change of mandate (KUBU and the agencies' collaboration stay coordination structures)"
    return f"premise: a change of mandate in week {week} (KUBU and the agencies' collaboration may issue and decide)"


def _finished_runs(folder: Path) -> pd.DataFrame:
    """``runs.parquet`` of a finished batch, or a ValueError saying what the folder lacks."""
    need = "the output folder of a finished `sim batch` (with runs.parquet)"
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder; `sim compare-report` needs {need}.")
    if not (folder / "runs.parquet").is_file():
        raise ValueError(f"{folder} has no runs.parquet; `sim compare-report` needs {need}. "
                         "Run or --resume `sim batch` into it first.")
    refuse_search(folder, read_manifest(folder) or {}, "sim compare-report")
    return pd.read_parquet(folder / "runs.parquet")
