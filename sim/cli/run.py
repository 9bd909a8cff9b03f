"""``sim run``: one simulation of a scenario's first model and measure set -> steps.parquet."""

from __future__ import annotations

import argparse

from sim.experiments.batch import BatchConflict
from sim.experiments.runner import check_writable, claim_folder, run_one, write_parquet_atomic
from sim.simulation.metrics import CRITERIA

from .inputs import load


def run(args: argparse.Namespace) -> int:
    scenario, _, out = load(args)
    if (out / "steps.parquet").is_dir() or (out / ".chunks").is_dir():
        raise BatchConflict(f"{out} holds a batch (a steps.parquet folder or .chunks/); `sim run` would overwrite "
                            "it. Choose another --out.")
    claim_folder(out)
    check_writable(out)
    seed = scenario.seed if args.seed is None else args.seed
    structure, measures = scenario.structures[0], scenario.measures[0]
    steps = run_one(scenario.organisation(structure), scenario.measure_set(tuple(measures)), weeks=scenario.weeks,
                    seed=seed, engine=scenario.engine, municipalities=scenario.municipalities,
                    mandate_change_week=scenario.mandate_change, rer_pot=scenario.rer_pot, **scenario.parameters)
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
