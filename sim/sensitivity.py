"""Global sensitivity of the six criteria: Morris screening and Sobol' indices (SALib)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from .batch import run_batch
from .designs import design_points, salib_problem
from .metrics import CRITERIA
from .scenario import Scenario, ScenarioError


def run_sensitivity(scenario: Scenario, *, out: str | os.PathLike[str] | None = None, workers: int | None = None,
                    client: Any = None, resume: bool = False, quiet: bool = True) -> pd.DataFrame:
    """Run the Morris and Sobol' designs over the scenario's ranges; return one row per index.

    Each method's runs are an ordinary, resumable batch in ``out/morris`` and
    ``out/sobol``; the indices are written to ``out/sensitivity.csv``.
    """
    if not scenario.design.ranges or scenario.design.samples < 1:
        raise ScenarioError("sensitivity needs design.ranges (parameter -> [low, high]) and design.samples >= 1.")
    if not isinstance(scenario.replications, int):
        raise ScenarioError("sensitivity needs a fixed number of replications, not an adaptive rule.")
    root = Path(out) if out is not None else scenario.output_dir
    problem = salib_problem(scenario.design)
    tables = []
    for method in ("morris", "sobol"):
        design = scenario.design.model_copy(update={"kind": method})
        sub = scenario.model_copy(update={"design": design})
        runs = run_batch(sub, out=root / method, workers=workers, client=client, resume=resume, quiet=quiet)
        names = problem["names"]
        x = np.array([[p[n] for n in names] for p in design_points(design)])
        means = runs.groupby(["structure", "measures", *names], sort=False)[list(CRITERIA)].mean()
        for (structure, measures), table in means.groupby(level=[0, 1], sort=False):
            table = table.droplevel([0, 1])
            rows = table.loc[[tuple(row) for row in x]] if len(names) > 1 else table.loc[x[:, 0]]
            for criterion in CRITERIA:
                y = rows[criterion].to_numpy(float)  # one output per sample row, repeats included
                tables.append(_indices(method, problem, x, y, design.levels, design.seed)
                              .assign(structure=structure, measures=measures, criterion=criterion))
    result = pd.concat(tables, ignore_index=True)
    result = result[["method", "structure", "measures", "criterion", "parameter",
                     *[c for c in result.columns if c not in ("method", "structure", "measures", "criterion",
                                                              "parameter")]]]
    result.to_csv(root / "sensitivity.csv", index=False)
    return result


def _indices(method: str, problem: dict, x: np.ndarray, y: np.ndarray, levels: int, seed: int) -> pd.DataFrame:
    if method == "morris":
        res = morris_analyze.analyze(problem, x, y, num_levels=levels, seed=seed)
        return pd.DataFrame({"method": method, "parameter": problem["names"], "mu_star": res["mu_star"],
                             "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"]})
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
    return pd.DataFrame({"method": method, "parameter": problem["names"], "S1": res["S1"], "S1_conf": res["S1_conf"],
                         "ST": res["ST"], "ST_conf": res["ST_conf"]})
