"""The ``sim`` command line: ``sim run`` for one simulation (more subcommands build on it)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .datasets import DataError
from .metrics import CRITERIA
from .runner import check_writable, run_one, write_parquet_atomic
from .scenario import ScenarioError, load_scenario

EXIT_BAD_INPUT = 2


def _run(args: argparse.Namespace) -> int:
    scenario = load_scenario(args.scenario)
    out = Path(args.out) if args.out else scenario.output_dir
    check_writable(out)
    seed = scenario.seed if args.seed is None else args.seed
    structure, measures = scenario.structures[0], scenario.measures[0]
    steps = run_one(structure, measures, weeks=scenario.weeks, seed=seed, engine=scenario.engine,
                    municipalities=scenario.municipalities, **scenario.parameters)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sim", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="simulate the scenario's first model and measure set once; write steps.parquet")
    run.add_argument("scenario", help="scenario TOML file")
    run.add_argument("--seed", type=int, default=None, help="seed (default: the scenario's)")
    run.add_argument("--out", default=None, help="output folder (default: the scenario's)")
    run.set_defaults(func=_run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (ScenarioError, DataError, ValueError, OSError) as exc:
        print(f"sim {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
