"""Bayesian calibration: priors from the parameter table, a posterior with diagnostics, resumable after a kill.

A tiny calibration (20 weeks, 6 points a wave, 2 replications) runs the whole method in CI;
the shipped one (scenarios/calibration.toml) is documented in docs/CALIBRATION.md.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.experiments.calibration import CALIBRATED, calibrate, check_calibration_scenario, shortfalls
from sim.experiments.scenario import load_scenario, scenario_from_dict
from sim.simulation.parameters import BY_NAME, PRIORS

from .batch_support import committed, committed_runs, poll

ROOT = Path(__file__).resolve().parents[1]
PRIOR_RANGES = {p.name: [p.low, p.high] for p in PRIORS}
TINY = {"name": "tinycal", "structures": ["model1", "model2", "model3"], "weeks": 20, "replications": 2, "seed": 3,
        "design": {"kind": "lhs", "samples": 6, "seed": 1, "ranges": PRIOR_RANGES}}


def test_priors_are_plausible_ranges_inside_the_allowed_ones_around_the_defaults():
    for p in PRIORS:
        allowed = BY_NAME[p.name]
        assert allowed.low <= p.low < p.high <= allowed.high and p.low <= allowed.default <= p.high, p.name
        assert p.reason and not allowed.integer
    assert "mandate_adoption" not in BY_NAME  # the premise is a scenario field, not a rate to calibrate


def test_the_shipped_calibration_scenario_spans_exactly_the_priors():
    check_calibration_scenario(load_scenario(ROOT / "scenarios" / "calibration.toml"))
    with pytest.raises(ValueError, match="priors"):
        check_calibration_scenario(scenario_from_dict({**TINY, "design": {**TINY["design"], "ranges": {
            **PRIOR_RANGES, "weak_priority": [0.1, 0.6]}}}))


def test_shortfall_is_zero_for_an_ordering_that_holds_and_grows_as_it_fails():
    rows = []
    for structure, value in (("model1", 0.1), ("model2", 0.5), ("model3", 0.9)):
        for r in range(4):
            rows.append({"structure": structure, "measures": "", **{c: value + 0.01 * r for c in
                         ("cross_sector_organisation", "shared_understanding", "strategic_coordination",
                          "operational_implementation", "local_support", "use_of_existing_structures")}})
    gaps = shortfalls(pd.DataFrame(rows))
    assert gaps["cross_sector_organisation: model1 < model3"] == 0.0  # 0.1 < 0.9 clearly
    assert gaps["strategic_coordination: model3 < model1"] == pytest.approx(1.96 + 10, abs=0.01)  # capped


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "out"
    return out, calibrate(scenario_from_dict(TINY), out=out, workers=2, predictive_replications=2)


def test_a_tiny_calibration_writes_the_posterior_its_diagnostics_and_the_predictive_table(tiny):
    out, (posterior, predictive, diagnostics) = tiny
    stored = pd.read_parquet(out / "posterior.parquet")
    pd.testing.assert_frame_equal(stored, posterior)
    box = diagnostics["waves"][0]["box"]
    for name in CALIBRATED:
        prior = PRIOR_RANGES[name]
        assert prior[0] <= box[name][0] <= box[name][1] <= prior[1]
        assert stored[name].between(*box[name]).all()
    assert diagnostics["effective_sample_size"] == len(posterior) >= 1
    assert json.loads((out / "diagnostics.json").read_text()) == diagnostics
    assert set(predictive["kind"]) == {"ordering", "cell", "held-out"}
    assert (predictive["kind"] == "ordering").sum() == 14 and (predictive["kind"] == "cell").sum() == 18
    assert predictive["low"].le(predictive["probability"]).all() and predictive["probability"].le(
        predictive["high"]).all()
    assert predictive["holm_p"].ge(predictive["p_more_likely_than_not"] - 1e-12).all()


def test_calibrating_again_into_the_same_folder_runs_nothing_new(tiny):
    out, (posterior, _, _) = tiny
    again, _, _ = calibrate(scenario_from_dict(TINY), out=out, workers=2, predictive_replications=2)
    pd.testing.assert_frame_equal(again, posterior)
    for manifest in out.rglob("manifest.json"):
        assert json.loads(manifest.read_text())["invocations"][-1]["runs_new"] == 0, manifest


def test_a_killed_calibration_resumes_without_redoing_finished_simulations(tmp_path):
    scenario = tmp_path / "cal.toml"
    ranges = "\n".join(f"ranges.{n} = [{lo}, {hi}]" for n, (lo, hi) in PRIOR_RANGES.items())
    scenario.write_text(f'name = "killed"\nstructures = ["model1", "model2", "model3"]\nweeks = 20\nreplications = 2\n'
                        f'seed = 3\n[design]\nkind = "lhs"\nsamples = 8\nseed = 1\n{ranges}\n')
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "sim.cli", "calibrate", str(scenario), "--out", str(out), "--quiet", "--workers", "2",
           "--predictive-replications", "2"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    poll(lambda: proc.poll() is not None or committed(out / "wave1") >= 1, tries=3000)  # wave 1 committed a chunk
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    saved_before = committed_runs(out / "wave1")  # a chunk file written but not yet committed is redone, rightly
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    invocations = json.loads((out / "wave1" / "manifest.json").read_text())["invocations"]
    assert invocations[-1]["runs_saved_before"] >= saved_before  # nothing finished was redone
    assert invocations[-1]["runs_new"] == 8 * 3 * 2 - invocations[-1]["runs_saved_before"]
    assert (out / "posterior.parquet").is_file() and np.isfinite(pd.read_parquet(out / "posterior.parquet")[
        "distance"]).all()


def test_odd_lists_every_prior_with_its_range_and_reason():
    text = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8").split("### Priors", 1)[1]
    for p in PRIORS:
        assert f"| `{p.name}` | [{p.low:g}, {p.high:g}] | {p.reason} |" in text, p.name


def test_the_defaults_of_the_calibrated_parameters_are_the_committed_posterior_medians():
    posterior = pd.read_parquet(ROOT / "results" / "calibration" / "posterior.parquet")
    for name in CALIBRATED:
        assert BY_NAME[name].default == float(f"{posterior[name].median():.2g}"), name
