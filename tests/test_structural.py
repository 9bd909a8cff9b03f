"""Structural fields in designs: sweeps over who sits where, how often they meet and who issues, end to end."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.experiments.runner import run_one
from sim.experiments.scenario import ScenarioError, scenario_from_dict
from sim.experiments.structural import changed, value_of
from sim.simulation.structures import catalogue, declare

BASE = {"name": "t", "weeks": 30, "replications": 2, "seed": 5, "series": False}
MODELS = catalogue().models


def _toml(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_structural_sweep_runs_end_to_end_and_records_each_runs_structure(tmp_path, capsys):
    path = _toml(tmp_path / "s.toml", '''name = "sweep"
structures = ["model1", "model2"]
weeks = 40
replications = 2

[design]
kind = "grid"
values."field_arena.meets_every_weeks" = [2, 8]
values.joint_letters = ["arena", ["Hdir", "Bufdir", "Udir"]]
''')
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert len(runs) == 2 * 4 * 2
    assert runs["field_arena.meets_every_weeks"].dtype == "int64"
    counts = runs.groupby(["structure", "field_arena.meets_every_weeks", "joint_letters"]).size()
    assert set(counts) == {2} and len(counts) == 8
    assert set(runs["joint_letters"]) == {"arena", "Hdir,Bufdir,Udir"}
    capsys.readouterr()


def test_a_factor_a_point_does_not_vary_holds_the_structures_own_value(tmp_path):
    from sim.experiments.batch import run_batch

    s = scenario_from_dict({**BASE, "structures": ["model1", "model2"],
                            "design": {"kind": "oat", "values": {"field_arena.secretariat_py": [0.5],
                                                                 "field_arena.topology": ["star"]}}})
    runs = run_batch(s, out=tmp_path / "out", workers=1)
    base = runs[runs["point"] == 0].groupby("structure")
    assert base["field_arena.secretariat_py"].first().to_dict() == {"model1": 1.5, "model2": 4.0}
    assert base["field_arena.topology"].first().to_dict() == {"model1": "star", "model2": "plenary"}
    assert set(runs.loc[runs["point"] == 2, "field_arena.topology"]) == {"star"}
    assert runs["field_arena.secretariat_py"].dtype == "float64"


def test_a_structural_change_simulates_exactly_the_structure_a_declaration_gives():
    group = MODELS["model1"].arenas[0].name
    by_factor = changed(MODELS["model1"], {"field_arena.meets_every_weeks": 12, "issuer": "BFD"})
    by_declaration = declare("lean", {"extends": "model1", "issuer": "BFD",
                                      "arena": {group: {"meets_every_weeks": 12}}}, MODELS)
    assert by_factor.model_dump(exclude={"title"}) == by_declaration.model_dump(exclude={"title"})
    pd.testing.assert_frame_equal(run_one(by_factor, weeks=60, seed=2), run_one(by_declaration, weeks=60, seed=2))
    assert not run_one(by_factor, weeks=60, seed=2).equals(run_one("model1", weeks=60, seed=2))


def test_todays_arenas_may_be_varied_and_become_the_models_own():
    kubu = "KUBU core group"
    faster = changed(MODELS["baseline"], {f"arena.{kubu}.meets_every_weeks": 2})
    assert [a.name for a in faster.arenas] == [kubu] and faster.arenas[0].meets_every_weeks == 2
    assert value_of(MODELS["baseline"], f"arena.{kubu}.meets_every_weeks") == 8


def test_sampled_designs_span_numeric_structural_fields_with_whole_numbers_rounded(tmp_path):
    from sim.experiments.designs import design_points

    s = scenario_from_dict({**BASE, "structures": ["model2", "model3"], "design": {
        "kind": "lhs", "samples": 6, "seed": 1,
        "ranges": {"field_arena.meets_every_weeks": [2, 12], "field_arena.knowledge_py": [0.0, 4.0],
                   "turnover_rate": [0.05, 0.2]}}})
    points = design_points(s.design)
    assert all(isinstance(p["field_arena.meets_every_weeks"], int) and 2 <= p["field_arena.meets_every_weeks"] <= 12
               for p in points)
    assert len({p["field_arena.knowledge_py"] for p in points}) == 6
    sobol = s.design.model_copy(update={"kind": "sobol", "samples": 4})
    assert len(design_points(sobol)) == 4 * (3 + 2)


@pytest.mark.parametrize(("design", "words"), [
    ({"kind": "grid", "values": {"field_arena.meets_every_weeks": [0]}}, ["field_arena.meets_every_weeks", "0",
                                                                           "model1"]),
    ({"kind": "grid", "values": {"field_arena.lead": ["HOD"]}}, ["field_arena.lead", "lead 'HOD' must be one"]),
    ({"kind": "grid", "values": {"field_arena.members": [["Hdir", "Nobody"]]}}, ["unknown actor code", "Nobody"]),
    ({"kind": "grid", "values": {"arena.Nope.setup_weeks": [3]}}, ["no arena 'Nope'", "Arenas:"]),
    ({"kind": "grid", "values": {"field_arena.meets": [3]}}, ["'meets' is not an arena field", "meets_every_weeks"]),
    ({"kind": "lhs", "samples": 3, "ranges": {"field_arena.topology": [0, 1]}}, ["takes choices", "grid"]),
    ({"kind": "grid", "values": {"issuing_arena": ["Board"]}}, ["issuing_arena", "Board"]),
    ({"kind": "grid", "values": {"field_arena.decision_rights_from_week": [-3]}}, ["decision_rights_from_week"]),
])
def test_bad_structural_factors_are_refused_naming_the_factor_and_nothing_is_written(tmp_path, capsys, design, words):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**BASE, "structures": ["model1"], "design": design}, "s.toml")
    for word in words:
        assert word in str(info.value)
    lines = ['name = "t"', 'structures = ["model1"]', "weeks = 4", "[design]"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in design.items() if not isinstance(v, dict)]
    for table in ("values", "ranges"):
        lines += [f'{table}."{k}" = {json.dumps(v)}' for k, v in design.get(table, {}).items()]
    path = _toml(tmp_path / "s.toml", "\n".join(lines) + "\n")
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert words[0] in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_factor_for_the_coordinating_arena_is_refused_for_a_model_without_one():
    with pytest.raises(ScenarioError, match="baseline.*no arena that coordinates the field"):
        scenario_from_dict({**BASE, "structures": ["baseline"],
                            "design": {"kind": "grid", "values": {"field_arena.meets_every_weeks": [4]}}})


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(["model1", "model2", "model3"]), st.integers(1, 52), st.floats(0, 10, allow_nan=False))
def test_a_change_sets_what_it_names_and_nothing_else(structure, every, secretariat):
    model = MODELS[structure]
    new = changed(model, {"field_arena.meets_every_weeks": every, "field_arena.secretariat_py": secretariat})
    assert value_of(new, "field_arena.meets_every_weeks") == every
    assert value_of(new, "field_arena.secretariat_py") == secretariat
    field = next(a for a in model.arenas if a.coordinates_field).name
    before = {a.name: a for a in model.arenas}
    for arena in new.arenas:
        skip = {"meets_every_weeks", "secretariat_py"} if arena.name == field else set()
        assert arena.model_dump(exclude=skip) == before[arena.name].model_dump(exclude=skip)
    assert new.model_dump(exclude={"arenas"}) == model.model_dump(exclude={"arenas"})
