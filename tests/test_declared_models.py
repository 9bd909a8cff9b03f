"""Organisation models declared in scenario files: in full or derived, run end to end, refused clearly when wrong."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.scenario import ScenarioError, scenario_from_dict
from sim.simulation.structures import catalogue

GROUP = "Directorate group for drug prevention"
BASE = {"name": "t", "weeks": 30, "replications": 2, "seed": 4}


def _toml(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_a_derived_model_changes_only_what_it_says():
    s = scenario_from_dict({**BASE, "structures": ["lean"], "models": {"lean": {
        "extends": "model1", "arena": {GROUP: {"meets_every_weeks": 12, "remove_members": ["Sfk"],
                                               "add_members": ["HK-dir"]}}}}})
    lean, model1 = s.organisations()["lean"], catalogue().models["model1"]
    assert lean.arenas[0].meets_every_weeks == 12 and "Sfk" not in lean.arenas[0].members
    assert lean.arenas[0].members[-1] == "HK-dir"
    unchanged = {"issuer", "lead_agency", "joint_letters", "issuing_arena"}
    assert all(getattr(lean, f) == getattr(model1, f) for f in unchanged)
    assert lean.arenas[0].model_dump(exclude={"members", "meets_every_weeks"}) == \
        model1.arenas[0].model_dump(exclude={"members", "meets_every_weeks"})


BOARD = {"name": "Municipal advisory board", "members": ["HOD", "Hdir"], "lead": "HOD", "topology": "plenary", "mandate": False,
         "setup_weeks": 4, "meets_every_weeks": 8, "secretariat_py": 0.2, "knowledge_py": 0.0, "source": "test"}


def test_add_arenas_keeps_the_parents_arenas_and_adds_the_new_ones(tmp_path, capsys):
    s = scenario_from_dict({**BASE, "structures": ["model2", "plus"], "models": {"plus": {
        "extends": "model2", "add_arenas": [BOARD], "arena": {BOARD["name"]: {"meets_every_weeks": 4}}}}})
    plus, model2 = s.organisations()["plus"], catalogue().models["model2"]
    assert plus.arenas[:-1] == model2.arenas  # the parent's, not restated
    assert plus.arenas[-1].name == BOARD["name"] and plus.arenas[-1].meets_every_weeks == 4  # and then changed
    path = _toml(tmp_path / "s.toml", 'name = "t"\nstructures = ["model2", "plus"]\nweeks = 30\nreplications = 2\n'
                 'seed = 4\n[models.plus]\nextends = "model2"\n[[models.plus.add_arenas]]\n'
                 + "".join(f"{k} = {json.dumps(v)}\n" for k, v in BOARD.items()))  # JSON's scalars and lists are TOML's
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert pd.read_parquet(tmp_path / "out" / "runs.parquet").groupby("structure").size().to_dict() == \
        {"model2": 2, "plus": 2}
    capsys.readouterr()


@pytest.mark.parametrize(("declaration", "words"), [
    ({"title": "t", "source": "s", "issuer": "HOD", "add_arenas": [BOARD]}, ["models.x.add_arenas", "extends none"]),
    ({"extends": "model2", "arenas": [BOARD], "add_arenas": [BOARD]}, ["models.x", "not both"]),
    ({"extends": "model2", "add_arenas": BOARD}, ["models.x.add_arenas", "list of arena tables"]),
    ({"extends": "model1", "add_arenas": [{**BOARD, "name": GROUP}]},
     ["models.x.add_arenas.0", "model1 already has", GROUP, "[models.x.arena."]),
    ({"extends": "model2", "add_arenas": [{**BOARD, "meets_every_weeks": 0}]},
     ["models.x.arenas", "meets_every_weeks"]),
])
def test_add_arenas_is_refused_clearly_when_wrong(declaration, words):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**BASE, "structures": ["x"], "models": {"x": declaration}}, "s.toml")
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_declared_and_derived_models_run_end_to_end_in_a_batch(tmp_path, capsys):
    path = _toml(tmp_path / "s.toml", f'''name = "declared"
structures = ["model1", "lean", "own"]
weeks = 30
replications = 2

[models.lean]
extends = "model1"

[models.lean.arena."{GROUP}"]
meets_every_weeks = 12

[models.own]
title = "A model declared in full"
source = "test"
issuer = "BFD"
lead_agency = "Bufdir"
joint_letters = ["Bufdir", "Udir"]

[[models.own.arenas]]
name = "Two agencies"
members = ["Bufdir", "Udir"]
lead = "Bufdir"
topology = "plenary"
mandate = true
setup_weeks = 0
meets_every_weeks = 2
secretariat_py = 0.5
knowledge_py = 0.0
coordinates_field = true
source = "test"
''')
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs.groupby("structure").size().to_dict() == {"lean": 2, "model1": 2, "own": 2}
    assert main(["run", str(path), "--out", str(tmp_path / "one")]) == 0  # sim run takes the first structure too
    capsys.readouterr()


@pytest.mark.parametrize(("models", "structures", "words"), [
    ({"x": {"extends": "model9"}}, ["x"], ["models.x.extends", "model9", "Did you mean"]),
    ({"x": {"extends": "model1", "arena": {"Nope": {"meets_every_weeks": 3}}}}, ["x"], ["models.x.arena", "Nope"]),
    ({"x": {"extends": "model1", "arena": {GROUP: {"remove_members": ["KDI"]}}}}, ["x"], ["remove_members", "KDI"]),
    ({"x": {"extends": "model1", "arena": {GROUP: {"add_members": ["Nobody"]}}}}, ["x"], ["members", "Nobody"]),
    ({"x": {"extends": "model1", "arena": {GROUP: {"meets_every_weeks": 0}}}}, ["x"], ["meets_every_weeks"]),
    ({"x": {"extends": "model1", "colour": "red"}}, ["x"], ["models.x.colour"]),
    ({"x": {"extends": "model1"}}, ["y"], ["structures", "'y'", "x"]),
    ({"model2": {"extends": "model1"}}, ["model2"], ["models.model2", "hide"]),
    ({"x": {"title": "bare"}}, ["x"], ["models.x.source"]),
    ({"x": {"extends": "model1", "issuer": "XYZ"}}, ["x"], ["models.x.issuer", "XYZ"]),
])
def test_bad_declarations_are_refused_naming_the_field_and_nothing_is_written(tmp_path, capsys, models, structures,
                                                                             words):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**BASE, "structures": structures, "models": models}, "s.toml")
    for word in words:
        assert word in str(info.value)
    lines = ["name = \"t\"", f"structures = {structures!r}".replace("'", '"'), "weeks = 4"]
    for name, decl in models.items():
        lines.append(f"[models.{name}]")
        lines += [f"{k} = {v!r}".replace("'", '"') for k, v in decl.items() if not isinstance(v, dict)]
        for arena, change in decl.get("arena", {}).items():
            lines.append(f'[models.{name}.arena."{arena}"]')
            lines += [f"{k} = {v!r}".replace("'", '"') for k, v in change.items()]
    path = _toml(tmp_path / "s.toml", "\n".join(lines) + "\n")
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert words[0] in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_changed_declaration_is_not_mixed_with_runs_of_the_old_one(tmp_path, capsys):
    text = f'name = "t"\nstructures = ["lean"]\nweeks = 10\nreplications = 2\n[models.lean]\nextends = "model1"\n' \
           f'[models.lean.arena."{GROUP}"]\nmeets_every_weeks = {{}}\n'
    first = _toml(tmp_path / "a.toml", text.format(12))
    second = _toml(tmp_path / "b.toml", text.format(3))
    assert main(["batch", str(first), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert main(["batch", str(second), "--out", str(tmp_path / "out"), "--quiet", "--resume"]) == 2
    assert "models" in capsys.readouterr().err


# --- declared measures and structure files ---
MEASURE_BOARD = '''
[declared_measures.youth_board]
title = "A youth board that meets the agencies"
source = "test"

[[declared_measures.youth_board.arenas]]
name = "Youth board"
members = ["Bufdir", "Udir", "Hdir"]
lead = "Bufdir"
topology = "star"
mandate = true
setup_weeks = 4
meets_every_weeks = 8
secretariat_py = 0.3
knowledge_py = 0.0
source = "test"

[[declared_measures.youth_board.streams]]
issuer = "BFD"
lead = "Bufdir"
per_year = 2
channel = "guidance"
arena = "Youth board"
'''


def test_a_measure_that_declares_a_rule_acts_exactly_as_the_shipped_measure_of_that_rule():
    """Rules are data: a measure is what it switches on and adds, never its name."""
    from sim.experiments.runner import run_one
    from sim.simulation.structures import Measure

    own = {"letters_for_all": Measure(title="same rule", source="test", rules=("identical_assignments",))}
    for structure in ("model1", "model3"):
        shipped = run_one(structure, ["identical_assignments"], weeks=80, seed=3)
        declared = run_one(structure, own, weeks=80, seed=3)
        pd.testing.assert_frame_equal(shipped, declared)
    assert not run_one("model1", [], weeks=80, seed=3).equals(run_one("model1", own, weeks=80, seed=3))


def test_declared_measures_combine_with_shipped_ones_in_a_batch(tmp_path, capsys):
    path = _toml(tmp_path / "s.toml", 'name = "m"\nstructures = ["model1"]\nweeks = 30\nreplications = 2\n'
                 'measures = [[], ["youth_board"], ["youth_board", "identical_assignments"], ["russ_plus"]]\n'
                 + MEASURE_BOARD + '\n[declared_measures.russ_plus]\nextends = "russ_collaboration"\n'
                 '[declared_measures.russ_plus.arena."Russ collaboration"]\nadd_members = ["KDI"]\n')
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    runs = pd.read_parquet(tmp_path / "out" / "runs.parquet")
    assert runs.groupby("measures").size().to_dict() == {"": 2, "youth_board": 2,
                                                         "identical_assignments,youth_board": 2, "russ_plus": 2}
    # money: each run records its measures' budgets; a derived measure keeps its parent's (docs/ODD.md, Costs)
    assert runs.groupby("measures")["budget_nok"].unique().map(list).to_dict() == {
        "": [0.0], "youth_board": [0.0], "identical_assignments,youth_board": [0.0], "russ_plus": [10_000_000.0]}
    capsys.readouterr()


def test_a_structure_file_declares_models_and_measures_and_errors_name_it(tmp_path, capsys):
    _toml(tmp_path / "structures.toml", f'[models.lean]\nextends = "model1"\n[models.lean.arena."{GROUP}"]\n'
          'meets_every_weeks = 12\n' + MEASURE_BOARD.replace("declared_measures", "measures"))
    path = _toml(tmp_path / "s.toml", 'name = "f"\nstructure_file = "structures.toml"\nstructures = ["lean"]\n'
                 'measures = [["youth_board"]]\nweeks = 20\n[models.leaner]\nextends = "lean"\n')
    from sim.experiments.scenario import load_scenario

    scenario = load_scenario(path)
    assert scenario.organisations()["lean"].arenas[0].meets_every_weeks == 12
    assert set(scenario.organisations()) == {"lean", "leaner"} and set(scenario.measure_declarations()) == {"youth_board"}
    assert main(["batch", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    _toml(tmp_path / "structures.toml", '[models.lean]\nextends = "model1"\nissuer = "NOPE"\n')
    assert main(["batch", str(path), "--out", str(tmp_path / "out2"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "structures.toml" in err and "models.lean.issuer" in err and "NOPE" in err
    assert not (tmp_path / "out2").exists()


@pytest.mark.parametrize(("measures", "words"), [
    ({"x": {"title": "t", "source": "s", "rules": ["nonsense"]}}, ["declared_measures.x.rules", "identical_assignments"]),
    ({"x": {"extends": "russ"}}, ["declared_measures.x.extends", "russ_collaboration"]),
    ({"x": {"title": "t", "source": "s", "streams": [{"issuer": "XX", "lead": "Udir", "per_year": 1,
                                                      "channel": "grant"}]}}, ["declared_measures.x.streams.0.issuer"]),
    ({"outreach": {"title": "t", "source": "s"}}, ["declared_measures.outreach", "hide"]),
    ({"x": {"title": "t", "source": "s", "budget_nok": 5e6}}, ["declared_measures.x", "budget_source"]),
    ({"x": {"title": "t", "source": "s", "budget_nok": -1.0, "budget_source": "b"}}, ["declared_measures.x.budget_nok"]),
    ({"x": {"title": "t", "source": "s", "budget_nok": float("inf"), "budget_source": "b"}},
     ["declared_measures.x.budget_nok"]),
])
def test_bad_measure_declarations_are_refused_naming_the_field(measures, words):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**BASE, "structures": ["model1"], "measures": [list(measures)], "declared_measures": measures})
    for word in words:
        assert word in str(info.value)


def test_a_measure_set_naming_an_undeclared_measure_is_refused():
    with pytest.raises(ScenarioError, match=r"measures\.1.*'youth_bord'.*Did you mean 'youth_board'"):
        scenario_from_dict({**BASE, "structures": ["model1"], "measures": [[], ["youth_bord"]],
                            "declared_measures": {"youth_board": {"title": "t", "source": "s"}}})
