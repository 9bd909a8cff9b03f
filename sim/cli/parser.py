"""The ``sim`` command line's parser: every command, its options and the module that runs it; nothing heavy.

Each command names its handler as (module of :mod:`sim.cli`, function); :func:`sim.cli.entry.main`
imports that module only when the command runs, so parsing, ``--help`` and a usage error load
none of the simulation, experiment or analysis packages.
"""

from __future__ import annotations

import argparse

from sim import __version__

DESCRIPTION = """The ``sim`` command line.

``sim export``       a finished batch's tables as an Excel workbook or CSV files
``sim diff``         two finished batches, or two structures of one (--structures A B), group by group, with CIs
``sim plan``         what a scenario would run, what its folder holds, how long the rest would take
``sim run``          one simulation of a scenario's first model -> steps.parquet
``sim batch``        every run of a scenario -> runs.parquet, steps.parquet/, summary.csv, manifest.json
``sim sensitivity``  Morris and Sobol' indices of the six criteria -> sensitivity.csv
``sim report``       figures and one self-contained report.html of a finished batch
``sim compare-report``  the simulated verdicts and orderings beside the report's (tables 4-6)
``sim calibrate``    Bayesian calibration on the seeds' patterns -> screen, posteriors, diagnostics, predictive
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sim", description=DESCRIPTION.replace("``", ""),  # plain text, not reST
                                     formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate the scenario's first model and measure set once; write steps.parquet")
    run.add_argument("scenario", help="scenario TOML file")
    run.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    run.add_argument("--out", default=None, help="output folder (default: the scenario's)")
    run.set_defaults(handler=("run", "run"))
    for name, text in (("batch", "run every run of a scenario into result tables"),
                       ("sensitivity", "Morris and Sobol' indices of the six criteria")):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("scenario", help="scenario TOML file")
        cmd.add_argument("--out", default=None, help="output folder (default: the scenario's)")
        cmd.add_argument("--workers", type=int, default=None, help="processes (default: all cores; 1 = serial)")
        _dask_options(cmd)
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
        cmd.set_defaults(handler=(name, name))
    export = sub.add_parser("export", help="a finished batch's tables as an Excel workbook and/or CSV files")
    export.add_argument("folder", help="output folder of a finished `sim batch`")
    export.add_argument("--xlsx", default=None, metavar="FILE", help="one workbook, a sheet per table (needs openpyxl)")
    export.add_argument("--csv", default=None, metavar="FOLDER", help="one CSV file per table")
    export.add_argument("--no-steps", action="store_true", help="leave out the weekly series")
    export.set_defaults(handler=("results", "export"))
    diff = sub.add_parser("diff", help="compare two finished batches, or two structures of one, group by group "
                                       "(B - A with a 95 %% CI)")
    diff.add_argument("a", help="output folder of the first batch (A), or of the one batch with --structures")
    diff.add_argument("b", nargs="?", default=None, help="output folder of the second batch (B); none with --structures")
    diff.add_argument("--structures", nargs=2, default=None, metavar=("A", "B"),
                      help="compare structure B with structure A within the one folder given")
    diff.add_argument("--save", default=None, metavar="CSV", help="also write the whole comparison as CSV")
    diff.add_argument("--allow-different", action="store_true",
                      help="compare batches that differ in more than structures and measure sets (weeks, seed, "
                           "design, parameters, code); refused without it")
    diff.set_defaults(handler=("results", "diff"))
    plan = sub.add_parser("plan", help="what a scenario would run, what its folder holds, and how long it would take")
    plan.add_argument("scenario", help="scenario TOML file")
    plan.add_argument("--out", default=None, help="output folder (default: the scenario's)")
    plan.add_argument("--workers", type=int, default=None, help="workers to estimate for (default: all cores)")
    plan.add_argument("--no-timing", action="store_true", help="count only; no timing run")
    plan.set_defaults(handler=("batch", "plan"))
    search = sub.add_parser("search", help="multi-objective search for structures over a scenario's [search] space")
    search.add_argument("scenario", help="scenario TOML file with a [search] table (scenarios/design_search.toml)")
    search.add_argument("--out", default=None, help="output folder (default: the scenario's)")
    search.add_argument("--workers", type=int, default=None, help="processes (default: all cores; 1 = serial)")
    _dask_options(search)
    search.add_argument("--resume", action="store_true", help="continue the search in the output folder")
    search.add_argument("--rerun-stale", action="store_true",
                        help="with --resume: recompute runs that another scenario or other code made")
    search.add_argument("--quiet", action="store_true", help="no line per generation")
    search.add_argument("--seeds", type=int, nargs="+", default=None, metavar="SEED",
                        help="stability: run the search once per search seed (with --draw-seeds, per pair) into "
                             "OUT/seed-<s>-draws-<d>/ and write OUT/stability.csv")
    search.add_argument("--draw-seeds", type=int, nargs="+", default=None, metavar="SEED",
                        help="stability: the design seeds (which scenarios are drawn); default: the scenario's")
    search.set_defaults(handler=("search", "search"))
    report = sub.add_parser("report", help="write figures/ and one self-contained report.html of a finished batch")
    report.add_argument("folder", help="output folder of `sim batch` (or `sim sensitivity`)")
    report.add_argument("--mandate-change", default=None, metavar="FOLDER",
                        help="the same models under the other premise about the mandate, for the answer at the top "
                             "(default: the finished batch beside FOLDER named FOLDER_mandate_change, or FOLDER "
                             "without that suffix)")
    report.set_defaults(handler=("report", "report"))
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
    compare.set_defaults(handler=("verdicts", "compare_report"))
    cal = sub.add_parser("calibrate", help="Bayesian calibration: screen, ABC-SMC (pyabc) on the seeds' patterns (A) "
                                           "and with the report's orderings (B), posterior predictive verdicts")
    cal.add_argument("scenario", help="calibration scenario (scenarios/calibration.toml): the 0-24 programme declared, "
                                      "[calibration] sizes")
    cal.add_argument("--out", default=None, help="output folder (default: the scenario's); resumes what is there")
    cal.add_argument("--workers", type=int, default=2,
                     help="processes for the screen (default 2; 1 = serial); the inference runs each particle's "
                          "replications in two threads")
    cal.add_argument("--restart", action="store_true",
                     help="start afresh in a folder another scenario or version of the code calibrated")
    cal.add_argument("--quiet", action="store_true", help="no progress bars")
    cal.set_defaults(handler=("calibrate", "calibrate"))
    rob = sub.add_parser("robustness", help="verdict shares over a design batch and PRIM boxes where rankings flip")
    rob.add_argument("folder", help="output folder of a finished design batch (e.g. of scenarios/uncertainty.toml)")
    rob.add_argument("--measures", default="", metavar="M", help="measure set (default: '', no measures)")
    rob.add_argument("--save", default=None, metavar="FILE.md", help="also write the Markdown to this file")
    rob.set_defaults(handler=("robustness", "robustness"))
    view = sub.add_parser("view", help="watch one run in the browser: network, criteria, week (Solara server)")
    view.add_argument("--host", default="127.0.0.1", help="address to serve on (default: 127.0.0.1)")
    view.add_argument("--port", type=int, default=8765, help="port to serve on (default: 8765)")
    view.set_defaults(handler=("view", "view"))
    return parser


def _dask_options(cmd: argparse.ArgumentParser) -> None:
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
