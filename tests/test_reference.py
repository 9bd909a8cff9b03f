"""The committed reference (``results/reference/``) is what the code gives for seed 20241122.

The compare_models scenario is run afresh and its tables written by the same function
as ``sim compare-report --save``; every file must match the committed one byte for byte.
A failure after a deliberate change (calibration, a new mechanism) means: regenerate
with ``python3 tasks.py reference`` and commit the diff.
"""

from __future__ import annotations

from pathlib import Path

from sim.analysis.validation import REFERENCE_FILES, write_reference
from sim.experiments.batch import run_batch
from sim.experiments.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "results" / "reference"


def test_committed_reference_matches_a_fresh_compare_models_batch(tmp_path):
    scenario = load_scenario(ROOT / "scenarios" / "compare_models.toml")
    assert scenario.seed == 20241122, "the reference is documented for seed 20241122 (docs/VALIDATION.md)"
    runs = run_batch(scenario, out=tmp_path / "batch", workers=2)
    written = write_reference(runs, tmp_path / "reference")
    assert sorted(p.name for p in written) == sorted(REFERENCE_FILES)
    assert sorted(p.name for p in COMMITTED.iterdir()) == sorted(REFERENCE_FILES)
    for path in written:
        assert path.read_bytes() == (COMMITTED / path.name).read_bytes(), (
            f"results/reference/{path.name} differs from what the code gives now. If the change is intended, "
            "regenerate with `python3 tasks.py reference` (delete results/compare_models first: --resume keeps "
            "runs made by earlier code) and commit the diff.")
