"""Global sensitivity of the six criteria: Morris screening and Sobol' indices (SALib)."""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analyze
from SALib.analyze import sobol as sobol_analyze

from sim.simulation.metrics import CRITERIA

from .batch import run_batch
from .designs import design_points, salib_problem
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


CONF_LIMIT = 0.1  # widest 95 % bootstrap half-width (SALib's *_conf) of a Sobol' index taken as reliable
DRIFT_LIMIT = 0.05  # most an index may move between half and all of the Saltelli sample and count as converged
MIN_BASE_SAMPLES = 32  # below this a bootstrap over the base samples understates its own uncertainty


def _indices(method: str, problem: dict, x: np.ndarray, y: np.ndarray, levels: int, seed: int) -> pd.DataFrame:
    """SALib's indices with a status: ``ok``, ``not converged: ...`` or ``undefined: ...`` (a constant output)."""
    names = problem["names"]
    if np.ptp(y) == 0:  # no variance to share out: every index is 0/0
        status = "undefined: the criterion is constant over the sample"
        columns = (("mu_star", "mu_star_conf", "sigma") if method == "morris" else
                   ("S1", "S1_conf", "ST", "ST_conf", "ST_half"))
        return pd.DataFrame({"method": method, "parameter": names, **{c: np.nan for c in columns}, "status": status})
    with warnings.catch_warnings():  # SALib's numerical warnings become the status column, not raw output
        warnings.simplefilter("ignore")
        if method == "morris":
            res = morris_analyze.analyze(problem, x, y, num_levels=levels, seed=seed)
            return pd.DataFrame({"method": method, "parameter": names, "mu_star": res["mu_star"],
                                 "mu_star_conf": res["mu_star_conf"], "sigma": res["sigma"], "status": "ok"})
        res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=seed)
        block = len(names) + 2  # Saltelli's sample: one block of k + 2 rows per base sample
        half = len(y) // block // 2 * block
        res_half = (sobol_analyze.analyze(problem, y[:half], calc_second_order=False, seed=seed)
                    if half >= 2 * block and np.ptp(y[:half]) > 0 else None)
    st_half = res_half["ST"] if res_half is not None else np.full(len(names), np.nan)
    base = len(y) // block
    status = []
    for k in range(len(names)):
        why = [f"only {base} base samples (at least {MIN_BASE_SAMPLES})"] if base < MIN_BASE_SAMPLES else []
        if not res["ST_conf"][k] <= CONF_LIMIT:
            why.append(f"95 % CI half-width {res['ST_conf'][k]:.2f} > {CONF_LIMIT}")
        if not abs(res["ST"][k] - st_half[k]) <= DRIFT_LIMIT:
            why.append(f"moved {abs(res['ST'][k] - st_half[k]):.2f} between half and all of the sample")
        status.append("not converged: " + "; ".join(why) if why else "ok")
    return pd.DataFrame({"method": method, "parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"],
                         "ST": res["ST"], "ST_conf": res["ST_conf"], "ST_half": st_half, "status": status})
