"""The ``sim`` command line.

``sim export``       a finished batch's tables as an Excel workbook or CSV files
``sim diff``         two finished batches compared group by group, with CIs
``sim plan``         what a scenario would run, what its folder holds, how long the rest would take
``sim run``          one simulation of a scenario's first model -> steps.parquet
``sim batch``        every run of a scenario -> runs.parquet, steps.parquet/, summary.csv, manifest.json
``sim sensitivity``  Morris and Sobol' indices of the six criteria -> sensitivity.csv
``sim report``       figures and one self-contained report.html of a finished batch
``sim compare-report``  the simulated verdicts and orderings beside the report's (tables 4-6)
``sim calibrate``    Bayesian calibration on the report's orderings -> posterior, diagnostics, predictive
``sim search``       a robust multi-objective search for structures -> candidates, pareto, report
``sim robustness``   share of design points where each verdict holds; PRIM boxes where rankings flip
``sim view``         watch one run in the browser (Mesa's SolaraViz): pick model, measures and seed; step or play

Exit status: 0 success; 1 a batch completed but some runs failed (see failures.parquet);
2 bad input (one paragraph naming the file, the field and what is allowed) or a refused
output folder; 3 an environment fault (disk full, no permission) with the path and how to
continue; 130 / 143 a batch stopped by SIGINT / SIGTERM after saving what had finished
(141 when the reader of its output went away); 70 an unexpected error, reported in one
line with where the full traceback was written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from sim import __version__
from sim.experiments.batch import BatchConflict, EnvironmentFault, Interrupted, is_environment_fault, run_batch
from sim.experiments.batch.manifest import read_manifest
from sim.experiments.batch.run import cores
from sim.experiments.batch.tables import factors
from sim.experiments.clusters import QUEUES, dask_client, job_cluster, resources_from
from sim.experiments.runner import check_writable, run_one, write_parquet_atomic
from sim.experiments.scenario import Cluster, Scenario, ScenarioError, load_scenario
from sim.experiments.structural import is_structural
from sim.simulation.checks import MAX_SEED
from sim.simulation.datasets import DataError, load_municipalities
from sim.simulation.metrics import CRITERIA
from sim.simulation.provenance import compile_kernels, kernels_cached

if TYPE_CHECKING:
    import pandas as pd

COMPILING = ("run", "batch", "sensitivity", "search", "calibrate", "plan")  # commands that simulate
EXIT_FAILED_RUNS = 1
EXIT_BAD_INPUT = 2
EXIT_ENVIRONMENT = 3
EXIT_INTERNAL = 70  # sysexits' EX_SOFTWARE: a bug, never to be confused with failed runs (1) or bad input (2)


def _load(path: str) -> tuple[Scenario, str]:
    scenario = load_scenario(path)
    if scenario.municipalities != "norway":
        load_municipalities(scenario.municipalities)
    return scenario, Path(path).read_text(encoding="utf-8")


def _run(args: argparse.Namespace) -> int:
    scenario, _ = _load(args.scenario)
    out = Path(args.out) if args.out else scenario.output_dir
    if (out / "steps.parquet").is_dir() or (out / ".chunks").is_dir():
        raise BatchConflict(f"{out} holds a batch (a steps.parquet folder or .chunks/); `sim run` would overwrite "
                            "it. Choose another --out.")
    check_writable(out)
    seed = scenario.seed if args.seed is None else args.seed
    structure, measures = scenario.structures[0], scenario.measures[0]
    steps = run_one(scenario.organisation(structure), scenario.measure_set(tuple(measures)), weeks=scenario.weeks, seed=seed, engine=scenario.engine,
                    municipalities=scenario.municipalities, mandate_change_week=scenario.mandate_change,
                    rer_pot=scenario.rer_pot,
                    **scenario.parameters)
    steps.insert(1, "structure", structure)
    steps.insert(2, "measures", ",".join(measures))
    steps.insert(3, "seed", seed)
    write_parquet_atomic(steps, out / "steps.parquet")
    final = steps.iloc[-1]
    print(f"{structure} {'+'.join(measures) or '(no measures)'}, seed {seed}, {scenario.weeks} weeks "
          f"-> {out / 'steps.parquet'}")
    width = max(map(len, CRITERIA))
    for name in (*CRITERIA, "assignments_completed", "assignments_dropped", "cost_person_years"):
        print(f"  {name:<{width}}  {final[name]:10.3f}")
    return 0


def _client(args: argparse.Namespace, scenario: Scenario) -> contextlib.AbstractContextManager[Any]:
    """The Dask client of ``--dask`` (a null context without it), jobs sized by the options over ``[cluster]``."""
    return dask_client(args.dask, args.workers, _resources(args, scenario))


def _resources(args: argparse.Namespace, scenario: Scenario) -> Cluster:
    given = {name: getattr(args, name) for name in Cluster.model_fields}
    try:
        return resources_from(scenario.cluster, **given)
    except ValidationError as exc:
        wrong = exc.errors()[0]
        raise ScenarioError(f"--{wrong['loc'][0]} {given.get(wrong['loc'][0])!r}: {wrong['msg']}") from None


def _batch(args: argparse.Namespace) -> int:
    scenario, text = _load(args.scenario)
    if scenario.search is not None:
        raise ScenarioError(f"{args.scenario}: this scenario has a [search] table; run it with `sim search "
                            f"{args.scenario}` (sim batch runs fixed plans).")
    out = Path(args.out) if args.out else scenario.output_dir
    started = time.perf_counter()
    with _client(args, scenario) as client:
        runs = run_batch(scenario, out=out, workers=args.workers, client=client, resume=args.resume,
                         quiet=args.quiet, scenario_text=text, rerun_stale=args.rerun_stale,
                         run_time_limit=args.run_time_limit)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    invocation = manifest["invocations"][-1]
    for note in invocation["repairs"]:
        print(f"repaired: {note}")
    failed = manifest["runs_failed"]
    print(f"{scenario.name}: {len(runs)} runs finished ({invocation['runs_new']} new), {failed} failed, "
          f"in {time.perf_counter() - started:.1f} s -> {out}")
    if len(runs):
        _print_summary(runs)
    if args.report and len(runs):
        print(f"report: {_write_report(out)}")
    if failed:
        print(f"{failed} runs failed: see {out / 'failures.parquet'}; `--resume` retries them.", file=sys.stderr)
        return EXIT_FAILED_RUNS
    return 0


def _search(args: argparse.Namespace) -> int:
    from sim.analysis.report.search import write_search_report
    from sim.experiments.search import run_search

    scenario, text = _load(args.scenario)
    out = Path(args.out) if args.out else scenario.output_dir
    started = time.perf_counter()
    with _client(args, scenario) as client:
        result = run_search(scenario, out=out, workers=args.workers, client=client, resume=args.resume,
                            quiet=args.quiet, scenario_text=text, rerun_stale=args.rerun_stale,
                            present=write_search_report)
    found = result.candidates
    winners = found[found["as_good_as_all_references"]]
    print(f"{scenario.name}: {len(found)} structures judged, {int(found['on_front'].sum())} on the front, "
          f"{len(winners)} at least as good as every reference at no more cost, in "
          f"{time.perf_counter() - started:.1f} s -> {out}")
    for text_ in winners.sort_values("cost_person_years_mean")["description"].head(3):
        print(f"  - {text_}")
    close = found[found["criteria_as_good_as_all_references"]].sort_values("cost_person_years_mean")
    if winners.empty and len(close):
        print(f"{len(close)} are at least as good as every reference on the six criteria at a higher cost; the "
              f"cheapest ({close['cost_person_years_mean'].iloc[0]:.2f} person-years a year):\n"
              f"  - {close['description'].iloc[0]}")
    print(f"report: {out / 'report.html'}")
    failed = int((found["n_failed"] > 0).sum())
    if failed:
        print(f"{failed} structures had failed runs (infeasible): see {out / 'failures.parquet'}.", file=sys.stderr)
        return EXIT_FAILED_RUNS
    return 0


def _plan(args: argparse.Namespace) -> int:
    from sim.experiments.batch.planning import duration, make_plan

    scenario, _ = _load(args.scenario)
    out = Path(args.out) if args.out else scenario.output_dir
    workers = min(args.workers or cores(), cores())
    p = make_plan(scenario, out, workers, timing=not args.no_timing)
    search = scenario.search
    if search is not None:
        references = len(search.references or scenario.structures)
        runs = (search.population * search.generations + references) * p.points * scenario.max_replications
        print(f"{scenario.name}: a search of {search.generations} generations of {search.population} candidates "
              f"plus {references} references, each judged on {p.points} design points x {scenario.max_replications} "
              f"replications: at most {runs:,} runs (a candidate judged before is not run again)")
        missing, saved = max(0, runs - p.saved), p.saved
    else:
        points = f"{p.points} design point{'s' if p.points > 1 else ''}" + (f" ({p.distinct_points} distinct)"
                                                if p.distinct_points < p.points else "")
        print(f"{scenario.name}: {p.structures} structures x {p.measure_sets} measure sets x {points} = {p.groups} "
              f"groups; replications {p.replications}: {p.runs:,} runs" + (" to start with" if not
                                                                             isinstance(scenario.replications, int)
                                                                             else ""))
        missing, saved = p.missing, p.saved
    where = f"{out}: " + ("empty or absent" if not (p.saved or p.stale) else
                          f"{p.saved:,} of these runs saved" + (f", {p.stale:,} made by another scenario or other "
                                                                f"code (stale)" if p.stale else ""))
    print(where + (f"; now being written by {p.running}" if p.running else ""))
    if args.no_timing:
        return 0
    print(f"timing: {p.seconds_per_run * 1000:.0f} ms a run of {scenario.weeks} weeks (mean of up to 3, after one "
          f"warm-up of {p.compile_seconds:.1f} s that loads or compiles the kernels)")
    print(f"estimate: {missing:,} runs to go, about {duration(p.seconds_for(missing))} on {workers} worker"
          f"{'s' if workers > 1 else ''}" + ("" if saved is None else f" ({saved:,} saved runs reused)")
          + "; each worker also loads the kernels once when it starts")
    return 0


MAX_POINT_ROWS = 40  # rows of a per-point terminal summary; beyond it the points are pooled (and it says so)


def _print_summary(runs: pd.DataFrame) -> None:
    """Mean criteria per group: per design point with its values when they fit on a screen, else pooled."""
    varied = factors(runs)
    structural = [c for c in varied if is_structural(c)]
    by_point = ["structure", "measures", "point", *varied]
    if runs["point"].nunique() > 1 and runs.groupby(by_point).ngroups <= MAX_POINT_ROWS:
        by = by_point
    else:
        by = ["structure", "measures", *structural]
        if runs["point"].nunique() > 1:
            print(f"(means pooled over the {runs['point'].nunique()} design points; summary_by_point.csv has each "
                  "point with its values)")
    summary = runs.groupby(by, sort=False)[list(CRITERIA)].mean()
    summary.columns = [c.replace("_", " ") for c in summary.columns]
    print(summary.round(3).to_string())


def _export(args: argparse.Namespace) -> int:
    from sim.analysis.results import export, load

    if not (args.xlsx or args.csv):
        raise ValueError("say what to write: --xlsx FILE.xlsx and/or --csv FOLDER")
    results = load(args.folder, steps=not args.no_steps)
    for path in export(results, xlsx=args.xlsx, csv=args.csv):
        print(f"-> {path}")
    return 0


def _diff(args: argparse.Namespace) -> int:
    from sim.analysis.results import diff, load

    a, b = load(args.a, steps=False), load(args.b, steps=False)
    table = diff(a, b)
    keys = [c for c in table.columns if c not in ("outcome", "n_a", "n_b", "mean_a", "mean_b", "difference",
                                                  "ci95_low", "ci95_high", "interval", "differs", "only_in")]
    print(f"A = {args.a} ({a.manifest['scenario'].get('name')}), B = {args.b} ({b.manifest['scenario'].get('name')}); "
          "B - A per group, 95 % CI (paired where the runs share seeds, else Welch); * = the CI excludes 0")
    both = table[table["only_in"] == ""]
    rows = [[" ".join(str(r[k]) if str(r[k]) else "(no measures)" for k in keys), r["outcome"].replace("_", " "),
             f"{r['mean_a']:.3f}", f"{r['mean_b']:.3f}", f"{r['difference']:+.3f}",
             f"[{r['ci95_low']:+.3f}, {r['ci95_high']:+.3f}]" + (" *" if r["differs"] else ""), r["interval"]]
            for _, r in both.iterrows()]
    _print_table(["group (" + ", ".join(keys) + ")", "criterion", "A", "B", "B - A", "95 % CI", "interval"], rows,
                 right=(2, 3, 4))
    for side in ("A", "B"):
        alone = table[table["only_in"] == side]
        if len(alone):
            print(f"only in {side}: " + "; ".join(" ".join(str(r[k]) for k in keys) for _, r in alone.iterrows()))
    if args.save:
        table.to_csv(args.save, index=False)
        print(f"-> {args.save}")
    return 0


def _write_report(folder: Path) -> Path:
    from sim.analysis.report.page import write_report

    return write_report(folder)


def _report(args: argparse.Namespace) -> int:
    print(f"report: {_write_report(Path(args.folder))}")
    return 0


def _compare_report(args: argparse.Namespace) -> int:
    folders = [Path(args.folder), *([Path(args.mandate_change)] if args.mandate_change else [])]
    for k, folder in enumerate(folders):
        if k:
            print("\n" + "=" * 78 + "\n")
        _compare_one(folder, args.measures, args.save if k == 0 else None,
                     _posterior(Path(args.posterior)) if args.posterior and k == 0 else None)
    return 0


def _posterior(folder: Path) -> pd.DataFrame:
    """A calibration's posterior predictive table (``predictive.csv`` of `sim calibrate`), or a clear error."""
    import pandas as pd

    path = folder / "predictive.csv"
    if not path.is_file():
        raise ValueError(f"{folder} has no predictive.csv; --posterior needs the output folder of `sim calibrate`.")
    return pd.read_csv(path, keep_default_na=False)


def _compare_one(folder: Path, measures: str, save: str | None, predictive: pd.DataFrame | None = None) -> None:
    """Print one batch's verdicts and orderings beside the report's, headed by its premise about the mandate."""
    from sim.analysis.validation import NotComparable, side_by_side, write_reference
    from sim.experiments.orderings import MODELS, ordering_table, present_models

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
    mark = "✓" if _encodable("✓") else "*"
    print(f"{folder}\n{_premise(folder)}\n{label}; runs per model: {counts}\n")
    if len(present) < len(MODELS):
        print(f"Only {' and '.join(present)} have runs here: the verdicts and orderings are those among them "
              "(a simulated verdict is relative to the models compared).\n")
    print(f"Verdicts, simulated / report ({mark} = agrees):")
    cells = [[row["criterion"], *(f"{row[f'{m}_simulated']} / {row[f'{m}_report']}"
                                  f"{' ' + mark if row[f'{m}_agrees'] else ''}" for m in present)]
             for _, row in table.iterrows()]
    _print_table(["criterion", *present], cells)
    print("\nOrderings the report implies (difference = higher - lower; Welch 95 % CI):")
    chance = {} if predictive is None else {
        r.statement: f"{r.probability:.2f} [{r.low:.2f}, {r.high:.2f}]" for r in predictive.itertuples(index=False)}
    extra = [] if predictive is None else ["P(posterior)"]
    _print_table(["criterion", "report", "difference", "95 % CI", "reproduced", *extra],
                 [[r.criterion, f"{r.lower} < {r.higher}", f"{r.difference:.3f}",
                   f"[{r.ci95_low:.3f}, {r.ci95_high:.3f}]", "yes" if r.reproduced else "no",
                   *([chance.get(f"{r.criterion}: {r.lower} < {r.higher}", "-")] if extra else [])]
                  for r in orderings.itertuples(index=False)],
                 right=(2,))
    if predictive is not None:
        held = predictive[predictive["kind"] == "held-out"]
        for r in held.itertuples(index=False):
            print(f"held out: {r.statement}: P = {r.probability:.2f} [{r.low:.2f}, {r.high:.2f}]")
        print(f"P(posterior): share of the {int(predictive['draws'].iloc[0])} posterior draws of the calibration in "
              "which the statement holds (each draw simulated afresh, the same Welch rule); [interval]: "
              "Clopper-Pearson, 95 % family-wise over all statements (Bonferroni).")
    if save:
        written = write_reference(runs, save, measures)
        print(f"\ntables -> {Path(save)}: {', '.join(p.name for p in written)}")
    agree = sum(int(table[f"{m}_agrees"].sum()) for m in present)
    print(f"\n{int(orderings['reproduced'].sum())} of {len(orderings)} orderings reproduced; "
          f"{agree} of {len(table) * len(present)} cells agree")


def _premise(folder: Path) -> str:
    """The batch's premise about model 3's change of mandate, read from its manifest."""
    week = ((read_manifest(folder) or {}).get("scenario") or {}).get("mandate_change_week")
    if week is None:
        return "premise about a change of mandate: unknown (no readable manifest)"
    if week == "never":
        return "premise: no change of mandate (KUBU and the agencies' collaboration stay coordination structures)"
    return f"premise: a change of mandate in week {week} (KUBU and the agencies' collaboration may issue and decide)"


def _calibrate(args: argparse.Namespace) -> int:
    from sim.experiments.calibration import calibrate

    scenario, _ = _load(args.scenario)
    out = Path(args.out) if args.out else scenario.output_dir
    with _client(args, scenario) as client:
        posterior, predictive, diagnostics = calibrate(
            scenario, out=out, workers=args.workers, client=client, quiet=args.quiet, keep=args.keep,
            accept=args.accept, predictive_replications=args.predictive_replications)
    waves = diagnostics["waves"]
    print(f"wave 1: {waves[0]['points']} points, kept {waves[0]['kept']}; wave 2: {waves[1]['points']} points in the "
          f"kept box, accepted {waves[1]['accepted']} (acceptance {waves[1]['acceptance_rate']:.2f}, "
          f"epsilon {waves[1]['epsilon']:.3f}); {diagnostics['runs']} runs in {diagnostics['wall_seconds']:.0f} s")
    print(f"posterior -> {out / 'posterior.parquet'}; diagnostics -> {out / 'diagnostics.json'}\n")
    _print_table(["parameter", "prior", "posterior median", "90 % interval", "at an edge"],
                 [[r["parameter"], f"[{r['prior_low']:g}, {r['prior_high']:g}]", f"{r['median']:.3g}",
                   f"[{r['q05']:.3g}, {r['q95']:.3g}]", r["at_edge"] or "-"] for r in diagnostics["posterior"]])
    print(f"\nposterior predictive ({len(posterior)} draws) -> {out / 'predictive.csv'}; "
          "`sim compare-report DIR --posterior` shows it beside the report's verdicts")
    return 0


def _robustness(args: argparse.Namespace) -> int:
    from sim.analysis.robustness import robustness_report

    text = robustness_report(Path(args.folder), measures=args.measures)
    print(text)
    if args.save:
        save = Path(args.save)
        save.parent.mkdir(parents=True, exist_ok=True)
        save.write_text(text + "\n", encoding="utf-8")
        print(f"-> {save}", file=sys.stderr)
    return 0


def _finished_runs(folder: Path) -> pd.DataFrame:
    """``runs.parquet`` of a finished batch, or a ValueError saying what the folder lacks."""
    import pandas as pd

    need = "the output folder of a finished `sim batch` (with runs.parquet)"
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder; `sim compare-report` needs {need}.")
    if not (folder / "runs.parquet").is_file():
        raise ValueError(f"{folder} has no runs.parquet; `sim compare-report` needs {need}. "
                         "Run or --resume `sim batch` into it first.")
    from sim.analysis.report.page import refuse_search

    refuse_search(folder, read_manifest(folder) or {}, "sim compare-report")
    return pd.read_parquet(folder / "runs.parquet")


def _encodable(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _print_table(header: list[str], rows: list[list[str]], right: tuple[int, ...] = ()) -> None:
    """Columns padded to their widest cell, two spaces apart (``right``: right-aligned columns)."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(f"{c:>{w}}" if k in right else f"{c:<{w}}"
                        for k, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())


def _sensitivity(args: argparse.Namespace) -> int:
    from sim.experiments.sensitivity import run_sensitivity

    scenario, _ = _load(args.scenario)
    out = Path(args.out) if args.out else scenario.output_dir
    with _client(args, scenario) as client:
        table = run_sensitivity(scenario, out=out, workers=args.workers, client=client, resume=args.resume,
                                quiet=args.quiet)
    print(f"sensitivity indices -> {out / 'sensitivity.csv'}")
    sobol = table[table["method"] == "sobol"]
    cells = sobol.assign(cell=[("undefined" if s.startswith("undefined") else
                                f"{st:.2f} ± {conf:.2f}" + ("" if s == "ok" else " *"))
                               for st, conf, s in zip(sobol["ST"], sobol["ST_conf"], sobol["status"], strict=True)])
    print("Sobol' total-order indices ST ± 95 % bootstrap half-width (* not converged; undefined: constant output):")
    print(cells.pivot(index=["structure", "criterion"], columns="parameter", values="cell").to_string())
    shaky = sobol[sobol["status"].str.startswith("not converged")]
    if len(shaky):
        print(f"warning: {len(shaky)} of {len(sobol)} Sobol' indices are not reliable yet (CI half-width above "
              "0.1, or they moved more than 0.05 between half and all of the sample): raise design.samples, "
              "e.g. double it, and run again with --resume (the runs already made are kept).", file=sys.stderr)
    return 0


def _view(args: argparse.Namespace) -> int:
    import os
    import subprocess

    from sim.analysis.view_assets import problem

    if not 1 <= args.port <= 65535:
        raise ValueError(f"--port must be 1-65535, got {args.port}.")
    blank = problem()
    if blank:
        print(f"sim view: error: {blank}.", file=sys.stderr)
        return EXIT_ENVIRONMENT
    # the module, not the file: `solara run sim/analysis/viz.py` would put sim/analysis/ itself on sys.path
    command = [sys.executable, "-m", "solara", "run", "sim.analysis.viz", "--host", args.host, "--port", str(args.port),
               "--production", "--no-open"]
    print(f"sim view: the interactive view is at http://{args.host}:{args.port}/ (Ctrl+C stops it)", flush=True)
    if os.name == "posix":  # become the server, so that signals to `sim view` reach it
        os.execv(sys.executable, command)
    try:
        return subprocess.call(command)
    except KeyboardInterrupt:
        return 0


def _add_dask_options(cmd: argparse.ArgumentParser) -> None:
    cmd.add_argument("--dask", default=None, metavar="ADDRESS|local|slurm|pbs",
                     help="run on a dask.distributed scheduler, a LocalCluster ('local'), or Slurm/PBS jobs "
                          "through dask-jobqueue (sized by the options below over the scenario's [cluster])")
    jobs = cmd.add_argument_group("with --dask slurm|pbs")
    jobs.add_argument("--jobs", type=int, default=None, help="jobs to submit (default 1)")
    jobs.add_argument("--cores", type=int, default=None, help="cores per job, one worker each (default 1)")
    jobs.add_argument("--memory", default=None, help="memory per job, e.g. 16GB (default 4GB)")
    jobs.add_argument("--walltime", default=None, metavar="[D-]HH:MM:SS", help="per job (default 01:00:00)")
    jobs.add_argument("--queue", default=None, help="Slurm partition or PBS queue (default: the system's)")
    jobs.add_argument("--account", default=None, help="Slurm account or PBS project to charge")
    jobs.add_argument("--job-script", action="store_true", help="print the job script that would be submitted; "
                                                                "submit nothing")


def _job_script(args: argparse.Namespace) -> int:
    if args.dask not in QUEUES:
        raise ScenarioError(f"--job-script shows the job script of --dask {' or '.join(QUEUES)}; "
                            f"got --dask {args.dask}")
    scenario, _ = _load(args.scenario)
    with job_cluster(args.dask, _resources(args, scenario)) as cluster:
        print(cluster.job_script())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sim", description=__doc__.replace("``", ""),  # plain text, not reST
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate the scenario's first model and measure set once; write steps.parquet")
    run.add_argument("scenario", help="scenario TOML file")
    run.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    run.add_argument("--out", default=None, help="output folder (default: the scenario's)")
    run.set_defaults(func=_run)
    for name, func, text in (("batch", _batch, "run every run of a scenario into result tables"),
                             ("sensitivity", _sensitivity, "Morris and Sobol' indices of the six criteria")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("scenario", help="scenario TOML file")
        cmd.add_argument("--out", default=None, help="output folder (default: the scenario's)")
        cmd.add_argument("--workers", type=int, default=None, help="processes (default: all cores; 1 = serial)")
        _add_dask_options(cmd)
        cmd.add_argument("--resume", action="store_true", help="continue or extend the batch in the output folder")
        cmd.add_argument("--quiet", action="store_true", help="no progress bar")
        if name == "batch":
            cmd.add_argument("--report", action="store_true",
                             help="also write figures/ and one self-contained report.html (as `sim report`)")
            cmd.add_argument("--rerun-stale", action="store_true",
                             help="with --resume: recompute the runs in the folder that another scenario or other "
                                  "code made (default: refuse them)")
            cmd.add_argument("--run-time-limit", type=float, default=None, metavar="SECONDS",
                             help="seconds one run may take before it is stopped and recorded as failed "
                                  "(default: the scenario's run_time_limit)")
        cmd.set_defaults(func=func)
    export = sub.add_parser("export", help="a finished batch's tables as an Excel workbook and/or CSV files")
    export.add_argument("folder", help="output folder of a finished `sim batch`")
    export.add_argument("--xlsx", default=None, metavar="FILE", help="one workbook, a sheet per table (needs openpyxl)")
    export.add_argument("--csv", default=None, metavar="FOLDER", help="one CSV file per table")
    export.add_argument("--no-steps", action="store_true", help="leave out the weekly series")
    export.set_defaults(func=_export)
    diff = sub.add_parser("diff", help="compare two finished batches group by group (B - A with a 95 %% CI)")
    diff.add_argument("a", help="output folder of the first batch (A)")
    diff.add_argument("b", help="output folder of the second batch (B)")
    diff.add_argument("--save", default=None, metavar="CSV", help="also write the whole comparison as CSV")
    diff.set_defaults(func=_diff)
    plan = sub.add_parser("plan", help="what a scenario would run, what its folder holds, and how long it would take")
    plan.add_argument("scenario", help="scenario TOML file")
    plan.add_argument("--out", default=None, help="output folder (default: the scenario's)")
    plan.add_argument("--workers", type=int, default=None, help="workers to estimate for (default: all cores)")
    plan.add_argument("--no-timing", action="store_true", help="count only; no timing run")
    plan.set_defaults(func=_plan)
    search = sub.add_parser("search", help="multi-objective search for structures over a scenario's [search] space")
    search.add_argument("scenario", help="scenario TOML file with a [search] table (scenarios/design_search.toml)")
    search.add_argument("--out", default=None, help="output folder (default: the scenario's)")
    search.add_argument("--workers", type=int, default=None, help="processes (default: all cores; 1 = serial)")
    _add_dask_options(search)
    search.add_argument("--resume", action="store_true", help="continue the search in the output folder")
    search.add_argument("--rerun-stale", action="store_true",
                        help="with --resume: recompute runs that another scenario or other code made")
    search.add_argument("--quiet", action="store_true", help="no line per generation")
    search.set_defaults(func=_search)
    report = sub.add_parser("report", help="write figures/ and one self-contained report.html of a finished batch")
    report.add_argument("folder", help="output folder of `sim batch` (or `sim sensitivity`)")
    report.set_defaults(func=_report)
    compare = sub.add_parser("compare-report",
                             help="simulated verdicts and the report's 14 orderings beside tables 4-6, for a batch")
    compare.add_argument("folder", help="output folder of a finished `sim batch` with model1, model2 and model3")
    compare.add_argument("--measures", default="", metavar="M",
                         help="measure set, comma-separated as in runs.parquet (default: '', no measures)")
    compare.add_argument("--mandate-change", default=None, metavar="FOLDER",
                         help="a second batch, the same models with a change of mandate, shown after the first")
    compare.add_argument("--posterior", default=None, metavar="FOLDER",
                         help="output folder of `sim calibrate`: each ordering's posterior predictive probability")
    compare.add_argument("--save", default=None, metavar="FOLDER",
                         help="also write summary.csv, verdicts.csv and orderings.csv there")
    compare.set_defaults(func=_compare_report)
    cal = sub.add_parser("calibrate", help="Bayesian calibration on the report's orderings -> posterior, predictive")
    cal.add_argument("scenario", help="calibration scenario: an lhs design over the priors (scenarios/calibration.toml)")
    cal.add_argument("--out", default=None, help="output folder (default: the scenario's); resumes what is there")
    cal.add_argument("--workers", type=int, default=None, help="processes (default: all cores; 1 = serial)")
    _add_dask_options(cal)
    cal.add_argument("--quiet", action="store_true", help="no progress bar")
    cal.add_argument("--keep", type=float, default=0.25, help="share of wave-1 points that bound the kept box")
    cal.add_argument("--accept", type=float, default=0.25, help="share of wave-2 points accepted (ABC rejection)")
    cal.add_argument("--predictive-replications", type=int, default=30, metavar="R",
                     help="replications per model for each posterior draw's predictive check")
    cal.set_defaults(func=_calibrate)
    rob = sub.add_parser("robustness", help="verdict shares over a design batch and PRIM boxes where rankings flip")
    rob.add_argument("folder", help="output folder of a finished design batch (e.g. of scenarios/uncertainty.toml)")
    rob.add_argument("--measures", default="", metavar="M", help="measure set (default: '', no measures)")
    rob.add_argument("--save", default=None, metavar="FILE.md", help="also write the Markdown to this file")
    rob.set_defaults(func=_robustness)
    view = sub.add_parser("view", help="watch one run in the browser: network, criteria, week (Solara server)")
    view.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    view.add_argument("--port", type=int, default=8765, help="port to serve on (default: 8765)")
    view.set_defaults(func=_view)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    name = f"sim {args.command}"
    if getattr(args, "workers", None) is not None and args.workers < 1:
        print(f"{name}: error: --workers must be >= 1, got {args.workers}.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if getattr(args, "workers", None) is not None and args.workers > cores() and not getattr(args, "dask", None):
        print(f"{name}: note: --workers {args.workers} capped to {cores()}, the cores this machine gives it.",
              file=sys.stderr)
    if getattr(args, "out", None) == "":
        print(f"{name}: error: --out must name a folder; it is empty.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if getattr(args, "seed", None) is not None and not 0 <= args.seed <= MAX_SEED:
        print(f"{name}: error: --seed must be a whole number in [0, {MAX_SEED}], got {args.seed}.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if getattr(args, "run_time_limit", None) is not None and not args.run_time_limit > 0:
        print(f"{name}: error: --run-time-limit must be > 0 seconds, got {args.run_time_limit}.", file=sys.stderr)
        return EXIT_BAD_INPUT
    if getattr(args, "rerun_stale", False) and not args.resume:
        print(f"{name}: error: --rerun-stale recomputes runs of a batch being resumed; add --resume.", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if getattr(args, "job_script", False):
            return _job_script(args)
        if args.command in COMPILING and not kernels_cached():
            print(f"{name}: compiling the simulation kernels once for this version of the code (about 15 s on "
                  "two cores; later runs start at once)...", file=sys.stderr, flush=True)
            print(f"{name}: compiled in {compile_kernels():.0f} s", file=sys.stderr, flush=True)
        return args.func(args)
    except Interrupted as exc:
        print(f"{name}: stopped by {signal.Signals(exc.signum).name}: {exc.progress()}; continue with "
              f"`{_resume_command(args, exc.folder)}`", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:  # the reader went away (`sim batch ... | head`): what was written stays, say nothing
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except EnvironmentFault as exc:
        print(f"{name}: error: {exc}; free space or fix the permissions, then continue with "
              f"`{_resume_command(args, exc.folder)}`", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"{name}: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return EXIT_ENVIRONMENT if is_environment_fault(exc) else EXIT_BAD_INPUT
    except (ScenarioError, BatchConflict, DataError, ValueError) as exc:
        print(f"{name}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(f"{name}: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT
    except Exception as exc:  # noqa: BLE001 - one line and a file, never a bare traceback
        print(f"{name}: internal error: {type(exc).__name__}: {exc} (full traceback in {_save_traceback(name)}; "
              "please report it)", file=sys.stderr)
        return EXIT_INTERNAL


def _resume_command(args: argparse.Namespace, folder: Path) -> str:
    return f"sim {args.command} {args.scenario} --out {folder} --resume"


def _save_traceback(name: str) -> str:
    path = Path(tempfile.gettempdir()) / f"{name.replace(' ', '-')}-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.txt"
    try:
        path.write_text(traceback.format_exc(), encoding="utf-8")
    except OSError:  # nowhere to write it: stderr is the last place left
        traceback.print_exc()
        return "the lines above"
    return str(path)


if __name__ == "__main__":
    sys.exit(main())
