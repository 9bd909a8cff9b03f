"""Keep ``docs/SCENARIOS.md`` honest: every ```toml block in it is a valid scenario with runs.

Each block is parsed with :mod:`tomllib`, validated with :func:`sim.experiments.scenario.scenario_from_dict`
and planned with :func:`sim.experiments.batch.plan`; where its comments count its runs ("= 180 runs",
": 264 runs"), the plan must have exactly that many.  Broken files shown on purpose use
```text fences and are not checked here.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from sim.experiments.batch import plan
from sim.experiments.scenario import scenario_from_dict

DOC = Path(__file__).resolve().parents[1] / "docs" / "SCENARIOS.md"
FENCE = re.compile(r"^```toml[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
RUN_COUNT = re.compile(r"^#.*?[=:]\s*(\d[\d ]*) runs\b", re.MULTILINE)


def toml_blocks() -> list[str]:
    return FENCE.findall(DOC.read_text(encoding="utf-8"))


BLOCKS = toml_blocks()


def block_id(block: str) -> str:
    match = re.search(r'^name\s*=\s*"([^"]*)"', block, re.MULTILINE)
    return match.group(1) if match else "unnamed"


def test_the_reference_has_an_example_for_every_design_and_adaptive_replications() -> None:
    scenarios = [scenario_from_dict(tomllib.loads(block), source=f"scenarios/{block_id(block)}.toml")
                 for block in BLOCKS]
    kinds = {s.design.kind for s in scenarios}
    assert kinds == {"none", "grid", "oat", "lhs", "sobol", "morris"}, kinds
    assert any(not isinstance(s.replications, int) for s in scenarios), "no adaptive replications example"


@pytest.mark.parametrize("block", BLOCKS, ids=[block_id(b) for b in BLOCKS])
def test_every_toml_example_is_a_valid_scenario_with_a_plan(block: str) -> None:
    scenario = scenario_from_dict(tomllib.loads(block), source=f"scenarios/{block_id(block)}.toml")
    specs = plan(scenario)
    assert specs, f"{scenario.name}: the example plans no runs"
    stated = RUN_COUNT.findall(block)
    if stated:
        assert len(specs) == int(stated[-1].replace(" ", "")), (
            f"{scenario.name}: the example's comment says {stated[-1]} runs, the plan has {len(specs)}"
        )


SHIPPED = re.compile(r"^\| `([a-z_]+\.toml)`[^|]*\| (?:at most )?([\d ]+)[^|]*\| (\w+) \|(.*)\|$", re.MULTILINE)
WORDS = {"five": 5, "seven": 7, "eight": 8, "ten": 10, "twelve": 12}


def shipped_rows() -> list[tuple[str, int, str, str]]:
    text = DOC.read_text(encoding="utf-8").split("## The shipped scenarios", 1)[1]
    return [(f, int(n.replace(" ", "")), kind, what) for f, n, kind, what in SHIPPED.findall(text)]


def test_the_shipped_scenarios_table_states_their_true_counts() -> None:
    from sim.experiments.scenario import load_scenario

    rows = shipped_rows()
    assert {r[0] for r in rows} >= {"compare_models.toml", "measures.toml", "uncertainty.toml", "sensitivity.toml",
                                    "design_search.toml"}
    # the calibration is not a batch: its sizes are its [calibration] table's, stated in CALIBRATION.md
    assert "| `calibration.toml` | see [CALIBRATION.md](CALIBRATION.md) |" in DOC.read_text(encoding="utf-8")
    for name, runs, kind, what in rows:
        scenario = load_scenario(DOC.parents[1] / "scenarios" / name)
        assert scenario.design.kind == kind, name
        if scenario.search is not None:
            search = scenario.search
            points = scenario.design.samples
            points *= max(1, len(scenario.design.premises))
            references = len(search.references or scenario.structures) * 2 ** len(search.measures)
            most = (search.population * search.generations + references) * points * scenario.replications
            assert runs == most, f"{name}: the table says at most {runs} runs, the search has at most {most}"
            assert f"{search.generations} generations of {search.population} candidates" in what, name
        else:
            assert runs == len(plan(scenario)), f"{name}: the table says {runs} runs, the plan has {len(plan(scenario))}"
        stated = re.search(r"over (\w+) (?:parameters|calibrated|assumed)", what)
        if stated:
            count = WORDS.get(stated.group(1))
            assert count == len(scenario.design.ranges), f"{name}: the table says {stated.group(1)} parameters"
        reps = re.search(r"(\d+) replications", what)
        if reps:
            assert int(reps.group(1)) == scenario.replications, f"{name}: the table says {reps.group(1)} replications"
