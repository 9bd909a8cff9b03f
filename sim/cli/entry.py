"""The ``sim`` console script: parse, run the command's module, and turn every outcome into an exit status."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from sim.experiments.machine import cores
from sim.experiments.scenario_file import ScenarioError, read_scenario_file

from .exits import EXIT_BAD_INPUT, EXIT_ENVIRONMENT, EXIT_INTERNAL
from .parser import build_parser

COMPILING = ("run", "batch", "sensitivity", "search", "calibrate", "plan")  # commands that simulate


def main(argv: list[str] | None = None) -> int:
    """Run one ``sim`` command (``argv``, default the process's); its exit status (:mod:`sim.cli.exits`)."""
    args = build_parser().parse_args(argv)
    name = f"sim {args.command}"
    refusal = _refuse_options(args)  # before the library: a bad option or an unreadable file is answered at once
    if refusal:
        print(f"{name}: error: {refusal}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if getattr(args, "workers", None) is not None and args.workers > cores() and not getattr(args, "dask", None):
        print(f"{name}: note: --workers {args.workers} capped to {cores()}, the cores this machine gives it.",
              file=sys.stderr)
    # the library from here on: parsing, --help, a usage error and a bad option never load it
    from sim.experiments.batch import BatchConflict, EnvironmentFault, Interrupted, is_environment_fault
    from sim.simulation import provenance
    from sim.simulation.checks import MAX_SEED
    from sim.simulation.datasets import DataError

    if getattr(args, "seed", None) is not None and not 0 <= args.seed <= MAX_SEED:
        print(f"{name}: error: --seed must be a whole number in [0, {MAX_SEED}], got {args.seed}.", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if getattr(args, "job_script", False):  # shows what --dask slurm|pbs would submit, runs nothing
            module, function = "inputs", "job_script"
        else:
            module, function = args.handler
            if args.command in COMPILING and not provenance.kernels_cached():
                print(f"{name}: compiling the simulation kernels once for this version of the code (about 15 s on "
                      "two cores; later runs start at once)...", file=sys.stderr, flush=True)
                print(f"{name}: compiled in {provenance.compile_kernels():.0f} s", file=sys.stderr, flush=True)
        return getattr(importlib.import_module(f"{__package__}.{module}"), function)(args)
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
        text = str(exc.strerror or exc)
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) not in text else ""
        fix = ("; free space or fix the permissions, then run the same command again"
               if is_environment_fault(exc) and " again" not in text and "--out" not in text else "")
        print(f"{name}: error: {text}{where}{fix}", file=sys.stderr)
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


def _refuse_options(args: argparse.Namespace) -> str | None:
    """What is wrong with an option, or with the scenario file as a file, that needs no library to judge; None when
    nothing is."""
    if getattr(args, "workers", None) is not None and args.workers < 1:
        return f"--workers must be >= 1, got {args.workers}."
    if getattr(args, "out", None) == "":
        return "--out must name a folder; it is empty."
    if getattr(args, "run_time_limit", None) is not None and not args.run_time_limit > 0:
        return f"--run-time-limit must be > 0 seconds, got {args.run_time_limit}."
    if getattr(args, "rerun_stale", False) and not args.resume:
        return "--rerun-stale recomputes runs of a batch being resumed; add --resume."
    if args.command == "diff" and (args.b is None) == (args.structures is None):
        return ("give two folders (sim diff DIR_A DIR_B) or one folder and two of its structures "
                "(sim diff DIR --structures A B).")
    for folder in (getattr(args, "folder", None), *((args.a, args.b) if args.command == "diff" else ())):
        if folder is not None and not Path(folder).is_dir():
            return (f"{folder} is not a folder; give the output folder of a finished `sim batch` (with runs.parquet, "
                    "e.g. results/<name>).")
    if getattr(args, "scenario", None) is not None:  # missing, not UTF-8 or not TOML: no need to load the library
        try:
            read_scenario_file(args.scenario)
        except ScenarioError as exc:
            return str(exc)
    return None


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
