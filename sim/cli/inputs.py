"""What the commands that take a scenario file share: reading it, its output folder, the Dask backend of --dask."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import ValidationError

from sim.experiments.clusters import QUEUES, dask_client, job_cluster, resources_from
from sim.experiments.scenario import Cluster, Scenario, ScenarioError, load_scenario
from sim.simulation.datasets import DATASETS, load_municipalities


class Input(NamedTuple):
    """A command's scenario, its file's text (the manifest records it) and its output folder (``--out`` first)."""

    scenario: Scenario
    text: str
    out: Path


def load(args: argparse.Namespace) -> Input:
    """Read ``args.scenario``, and the municipality file it names, so that a bad one is refused before any run."""
    scenario = load_scenario(args.scenario)
    if scenario.municipalities not in DATASETS:
        load_municipalities(scenario.municipalities)
    out = Path(args.out) if args.out else scenario.output_dir
    return Input(scenario, Path(args.scenario).read_text(encoding="utf-8"), out)


def client(args: argparse.Namespace, scenario: Scenario) -> contextlib.AbstractContextManager[Any]:
    """The Dask client of ``--dask`` (a null context without it), jobs sized by the options over ``[cluster]``."""
    return dask_client(args.dask, args.workers, _resources(args, scenario))


def _resources(args: argparse.Namespace, scenario: Scenario) -> Cluster:
    given = {name: getattr(args, name) for name in Cluster.model_fields}
    try:
        return resources_from(scenario.cluster, **given)
    except ValidationError as exc:
        wrong = exc.errors()[0]
        raise ScenarioError(f"--{wrong['loc'][0]} {given.get(wrong['loc'][0])!r}: {wrong['msg']}") from None


def job_script(args: argparse.Namespace) -> int:
    """``--job-script``: print the Slurm or PBS job script ``--dask slurm|pbs`` would submit; submit nothing."""
    if args.dask not in QUEUES:
        raise ScenarioError(f"--job-script shows the job script of --dask {' or '.join(QUEUES)}; "
                            f"got --dask {args.dask}")
    scenario = load(args).scenario
    with job_cluster(args.dask, _resources(args, scenario)) as cluster:
        print(cluster.job_script())
    return 0
