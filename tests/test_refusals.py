"""Issue 32: never overwrite a user's files, never compare what is not comparable, refuse every malformed
declaration before running.  One test (or a few) per numbered item of the issue, in its order."""

from __future__ import annotations

import errno
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.experiments.scenario import ScenarioError, scenario_from_dict
from sim.simulation.checks import MAX_COUNT

BASE = {"name": "t", "structures": ["model1"], "weeks": 4}
GROUP = "Directorate group for drug prevention"  # model 1's coordinating arena
LONGEST = 1200  # characters: a message names what is wrong, never echoes a large value
USER_FILES = {"summary.csv": "mine\n", "report.html": "<p>mine</p>", "runs.parquet": "not parquet"}


def _scenario(tmp_path: Path, text: str = "", name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text('name = "t"\nstructures = ["model1"]\nweeks = 4\nreplications = 2\n' + text, encoding="utf-8")
    return path


def _users_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mine"
    folder.mkdir()
    for name, text in USER_FILES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def _intact(folder: Path) -> None:
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == sorted(USER_FILES)
    for name, text in USER_FILES.items():
        assert (folder / name).read_text(encoding="utf-8") == text


def _refused(capsys, *words: str) -> str:
    err = capsys.readouterr().err
    for word in words:
        assert word in err, err
    assert "Traceback" not in err and "internal error" not in err and len(err) < 2 * LONGEST, err
    return err


def _declared(model: dict, **scenario) -> None:
    scenario_from_dict({**BASE, "structures": ["m"], "models": {"m": model}, **scenario}, "s.toml")


# --- 1. a folder of the user's own files is never written into ---

@pytest.mark.parametrize("command", ["batch", "run", "search", "calibrate"])
def test_1_a_folder_of_the_users_files_is_refused_and_left_intact(tmp_path, capsys, command):
    folder = _users_folder(tmp_path)
    scenario = (Path("scenarios/calibration.toml").resolve() if command == "calibrate" else
                _scenario(tmp_path, '[search]\nmeasures = ["outreach"]\n' if command == "search" else ""))
    assert main([command, str(scenario), "--out", str(folder), *([] if command == "run" else ["--quiet"])]) == 2
    _refused(capsys, str(folder), "report.html", "summary.csv")
    _intact(folder)


def test_1_an_export_into_a_folder_of_the_users_files_is_refused(tmp_path, capsys):
    assert main(["batch", str(_scenario(tmp_path)), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    folder = _users_folder(tmp_path)
    assert main(["export", str(tmp_path / "b"), "--csv", str(folder)]) == 2
    _refused(capsys, str(folder))
    _intact(folder)
    assert main(["export", str(tmp_path / "b"), "--csv", str(tmp_path / "csv")]) == 0  # a new folder, then again
    assert main(["export", str(tmp_path / "b"), "--csv", str(tmp_path / "csv")]) == 0
    assert (tmp_path / "csv" / "export.json").is_file()


def test_1_a_results_folder_of_this_tool_and_an_empty_one_are_taken(tmp_path):
    from sim.experiments.runner import claim_folder

    (tmp_path / "empty").mkdir()
    claim_folder(tmp_path / "empty")
    claim_folder(tmp_path / "new")
    (tmp_path / "batch").mkdir()
    (tmp_path / "batch" / "manifest.json").write_text("{}")
    (tmp_path / "batch" / "summary.csv").write_text("x")
    claim_folder(tmp_path / "batch")
    many = _users_folder(tmp_path)
    for k in range(20):
        (many / f"f{k}.txt").write_text("x")
    with pytest.raises(ValueError, match="and 18 more"):
        claim_folder(many)


# --- 2. the API refuses what is not a folder path, and arguments of the wrong type ---

@pytest.mark.parametrize(("kwargs", "word"), [
    ({"out": ""}, "out"), ({"out": "  "}, "out"), ({"out": 123}, "out"), ({"out": b"folder"}, "out"),
    ({"resume": "no"}, "resume"), ({"rerun_stale": 1}, "rerun_stale"), ({"client": object()}, "client"),
    ({"client": "tcp://127.0.0.1:1"}, "client"), ({"scenario_text": b"name = 't'"}, "scenario_text"),
])
def test_2_run_batch_refuses_bad_arguments_with_value_error_before_writing(tmp_path, monkeypatch, kwargs, word):
    from sim.experiments.batch import run_batch

    monkeypatch.chdir(tmp_path)
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError, match=word):
        run_batch(scenario_from_dict(BASE), **{"out": tmp_path / "out", **kwargs})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_2_run_search_refuses_bad_arguments_too(tmp_path):
    from sim.experiments.search import run_search

    scenario = scenario_from_dict({**BASE, "search": {"measures": ["outreach"]}})
    for kwargs in ({"out": ""}, {"out": 5}, {"resume": "yes"}, {"client": object()}):
        with pytest.raises(ValueError):
            run_search(scenario, **{"out": tmp_path / "out", **kwargs})
    assert not (tmp_path / "out").exists()


# --- 3. sim diff compares only batches that differ in what is compared ---

@pytest.fixture(scope="module")
def batches(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("diff")
    made = {}
    for name, text in {"a": "", "other_structures": "", "weeks": "", "seed": "seed = 5\n",
                       "design": '[design]\nkind = "grid"\nvalues.turnover_rate = [0.1]\n'}.items():
        body = _scenario(tmp, text, f"{name}.toml").read_text()
        if name == "weeks":
            body = body.replace("weeks = 4", "weeks = 6")
        if name == "other_structures":
            body = body.replace('["model1"]', '["model1", "model2"]')
        (tmp / f"{name}.toml").write_text(body)
        assert main(["batch", str(tmp / f"{name}.toml"), "--out", str(tmp / name), "--quiet"]) == 0
    assert main(["search", str(_scenario(tmp, '[search]\nmeasures = ["outreach"]\n', "search.toml")), "--out",
                 str(tmp / "search"), "--quiet", "--workers", "1"]) == 0
    made = {p.name: p for p in tmp.iterdir() if p.is_dir()}
    return made


@pytest.mark.parametrize(("other", "fields"), [("weeks", ["weeks: 4 -> 6"]), ("seed", ["seed: 0 -> 5"]),
                                               ("design", ["design.kind"])])
def test_3_diff_refuses_batches_of_other_scenarios_naming_the_fields(batches, capsys, other, fields):
    assert main(["diff", str(batches["a"]), str(batches[other])]) == 2
    _refused(capsys, "not comparable", "--allow-different", *fields)
    assert main(["diff", str(batches["a"]), str(batches[other]), "--allow-different"]) == 0


def test_3_diff_compares_other_structures_and_refuses_a_search_folder(batches, capsys):
    assert main(["diff", str(batches["a"]), str(batches["other_structures"])]) == 0
    capsys.readouterr()
    assert main(["diff", str(batches["a"]), str(batches["search"])]) == 2
    _refused(capsys, "search", "not a batch")


# --- 4. the calibration needs the models its targets compare ---

def test_4_calibrate_with_only_model1_is_refused_before_anything_is_written(tmp_path, capsys):
    text = Path("scenarios/calibration.toml").read_text().replace(
        'structures = ["baseline", "model1", "model2", "model3"]', 'structures = ["model1"]')
    path = tmp_path / "calibration.toml"
    path.write_text(text.replace('structure_file = "programme_0_24.toml"',
                                 f'structure_file = "{Path("scenarios/programme_0_24.toml").resolve()}"'))
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    _refused(capsys, "baseline", "model2", "model3")
    assert not (tmp_path / "out").exists()


# --- 5. no silent coercion: text is not a number, a number not a flag, 2.5 not a week ---

@pytest.mark.parametrize(("change", "field"), [
    ({"meets_every_weeks": "4"}, "meets_every_weeks"), ({"mandate": "yes"}, "mandate"),
    ({"meets_every_weeks": 2.5}, "meets_every_weeks"), ({"renewed": 1}, "renewed"),
    ({"secretariat_py": "0.5"}, "secretariat_py"), ({"setup_weeks": True}, "setup_weeks"),
])
def test_5_declared_fields_take_no_coerced_values(change, field):
    with pytest.raises(ScenarioError, match=field):
        _declared({"extends": "model1", "arena": {GROUP: change}})


@pytest.mark.parametrize("values", [["4"], [2.5], [True]])
def test_5_design_values_of_a_whole_number_field_are_whole_numbers(values):
    with pytest.raises(ScenarioError, match="meets_every_weeks"):
        scenario_from_dict({**BASE, "design": {"kind": "grid", "values": {"field_arena.meets_every_weeks": values}}})


def test_5_numpy_integers_count_replications_and_populations_of_zero_are_refused(tmp_path):
    from sim.simulation.datasets import DataError, load_municipalities

    assert scenario_from_dict({**BASE, "replications": np.int64(3)}).replications == 3
    with pytest.raises(ScenarioError, match="replications"):
        scenario_from_dict({**BASE, "replications": np.float64(3.0)})
    path = tmp_path / "m.csv"
    path.write_text("number,name,population\n301,Oslo,0\n1103,Stavanger,0\n")
    for pot in ("national", "loaded"):
        with pytest.raises(DataError, match="all populations are 0"):
            load_municipalities(path, rer_pot=pot)


@pytest.mark.parametrize(("kwargs", "word"), [({"outreach": "no"}, "outreach"), ({"outreach": 1}, "outreach"),
                                              ({"seed": "abc"}, "seed"), ({"mandate_change": "soon"}, "mandate_change")])
def test_5_the_view_model_refuses_text_for_flags_and_numbers(kwargs, word):
    from sim.analysis.viz import ViewModel

    with pytest.raises(ValueError, match=word):
        ViewModel(**kwargs)


# --- 6. structure_file reads a bounded regular file in the scenario's folder (or an absolute path on purpose) ---

@pytest.mark.parametrize("target", ["/dev/zero", "pipe", "../../../../etc/passwd", "link.toml", "big.toml", "sub"])
def test_6_unsafe_structure_files_are_refused_at_once(tmp_path, target):
    folder = tmp_path / "scenarios"
    (folder / "sub").mkdir(parents=True)
    os.mkfifo(folder / "pipe")
    (folder / "link.toml").symlink_to("/etc/passwd")
    with open(folder / "big.toml", "wb") as f:
        f.truncate(11 * 2**20)
    with pytest.raises(ScenarioError, match="structure_file") as info:
        scenario_from_dict({**BASE, "structure_file": target}, str(folder / "s.toml"))
    assert len(str(info.value)) < LONGEST


def test_6_a_structure_file_below_the_scenario_or_given_absolute_is_read(tmp_path):
    source = Path("scenarios/programme_0_24.toml").resolve()
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "p.toml").write_text(source.read_text())
    structures = {"structures": ["programme_0_24"]}
    for given in ("sub/p.toml", str(source)):
        scenario = scenario_from_dict({**BASE, **structures, "structure_file": given}, str(tmp_path / "s.toml"))
        assert "programme_0_24" in scenario.organisations()


# --- 7. what raised internal errors is refused before any work or folder ---

def test_7_an_empty_search_space_is_refused_before_its_folder_is_made(tmp_path, capsys):
    path = _scenario(tmp_path, "[search]\npopulation = 4\n")
    assert main(["search", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    _refused(capsys, "nothing to choose")
    assert not (tmp_path / "out").exists()


def test_7_a_search_that_exhausts_a_small_space_stops_with_its_front(batches):
    """One structure and one measure: two candidates, fewer than a population (pymoo then asks for nothing)."""
    candidates = pd.read_parquet(batches["search"] / "candidates.parquet")
    assert len(candidates) == 2 and (batches["search"] / "pareto.parquet").is_file()


def test_7_export_of_a_search_folder_is_refused(batches, tmp_path, capsys):
    assert main(["export", str(batches["search"]), "--csv", str(tmp_path / "csv")]) == 2
    _refused(capsys, "search", "not a batch")
    assert not (tmp_path / "csv").exists()


def test_7_calibrate_with_too_few_predictive_replications_is_refused_before_running(tmp_path, capsys):
    text = re.sub(r"(?m)^predictive_replications = \d+", "predictive_replications = 0",
                  Path("scenarios/calibration.toml").read_text())
    assert "predictive_replications = 0" in text
    path = tmp_path / "calibration.toml"
    path.write_text(text.replace('structure_file = "programme_0_24.toml"',
                                 f'structure_file = "{Path("scenarios/programme_0_24.toml").resolve()}"'))
    assert main(["calibrate", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    _refused(capsys, "predictive_replications")
    assert not (tmp_path / "out").exists()


def test_7_a_full_disk_at_start_and_in_export_names_the_path_and_how_to_continue(tmp_path, capsys, monkeypatch):
    import sim.analysis.results as results
    import sim.experiments.batch.folder as folder

    def full(path, *_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    path = _scenario(tmp_path)
    with monkeypatch.context() as patch:
        patch.setattr(folder, "write_manifest", lambda root, manifest: full(root / "manifest.json"))
        assert main(["batch", str(path), "--out", str(tmp_path / "b"), "--quiet"]) == 3
    _refused(capsys, str(tmp_path / "b" / "manifest.json"), "free space", "again")
    assert main(["batch", str(path), "--out", str(tmp_path / "b"), "--quiet"]) == 0
    monkeypatch.setattr(pd.DataFrame, "to_csv", lambda self, target, **kw: full(target))
    assert main(["export", str(tmp_path / "b"), "--csv", str(tmp_path / "csv")]) == 3
    _refused(capsys, str(tmp_path / "csv"), "free space", "sim export")
    assert results  # the module the export runs in


# --- 8. values no run could take are refused before the batch, not by every run ---

@pytest.mark.parametrize(("model", "words"), [
    ({"extends": "model1", "arena": {GROUP: {"secretariat_py": math.inf}}}, ["secretariat_py", "finite"]),
    ({"extends": "model1", "arena": {GROUP: {"secretariat_py": 1e308}}}, ["secretariat_py", "1000"]),
    ({"extends": "model1", "issuer": "Hdir"}, ["issuer", "not a ministry"]),
    ({"extends": "model1", "arena": {GROUP: {"members": ["Hdir"] + ["Udir"] * 10_000}}}, ["members", "more than once"]),
    ({"extends": "model1", "joint_letters": ["Hdir", "Hdir"]}, ["joint_letters", "more than once"]),
])
def test_8_declarations_no_run_could_take_are_refused(model, words):
    with pytest.raises(ScenarioError) as info:
        _declared(model)
    for word in words:
        assert word in str(info.value)
    assert len(str(info.value)) < LONGEST


@pytest.mark.parametrize("design", [
    {"kind": "grid", "values": {"field_arena.secretariat_py": [math.inf]}},
    {"kind": "grid", "values": {"field_arena.secretariat_py": [1e308]}},
    {"kind": "morris", "samples": 2, "ranges": {"field_arena.secretariat_py": [0.5, math.inf]}},
])
def test_8_design_values_no_run_could_take_are_refused(design):
    with pytest.raises(ScenarioError, match="secretariat_py"):
        scenario_from_dict({**BASE, "design": design})


def test_8_a_declared_stream_into_an_arena_that_does_not_exist_is_refused(tmp_path, capsys):
    stream = {"issuer": "BFD", "lead": "Bufdir", "per_year": 2, "channel": "measure", "arena": "Nowhere"}
    measure = {"title": "x", "source": "y", "streams": [stream]}
    with pytest.raises(ScenarioError, match="Nowhere"):
        scenario_from_dict({**BASE, "declared_measures": {"mm": measure}, "measures": [["mm"]]})
    with pytest.raises(ScenarioError, match="not a ministry"):
        scenario_from_dict({**BASE, "declared_measures": {"mm": {**measure, "streams": [{**stream, "issuer": "Hdir",
                                                                                         "arena": None}]}},
                            "measures": [["mm"]]})


# --- 9. messages name the allowed forms and stay short ---

def test_9_ten_thousand_unknown_codes_are_named_as_unknown_and_counted():
    with pytest.raises(ScenarioError) as info:
        _declared({"extends": "model1", "arena": {GROUP: {"members": [f"X{k}" for k in range(10_000)]}}})
    message = str(info.value)
    assert "unknown actor codes" in message and "9,995 more" in message and len(message) < LONGEST


@pytest.mark.parametrize(("change", "words"), [
    ({"arena": {GROUP: {"decision_rights_from_week": "soon"}}}, ['"mandate_change"', "decision_rights_from_week"]),
    ({"joint_letters": "letters"}, ['"arena"', "list of actor codes"]),
    ({"arena": {GROUP: {"mandate": "yes"}}}, ['"mandate_change"', "true, false"]),
])
def test_9_union_fields_name_their_forms_not_pydantics_branches(change, words):
    with pytest.raises(ScenarioError) as info:
        _declared({"extends": "model1", **change})
    for word in words:
        assert word in str(info.value)
    assert ".int" not in str(info.value) and "tuple[" not in str(info.value) and "literal[" not in str(info.value)


@pytest.mark.parametrize(("space", "words"), [({"low": 4.0, "high": 0.5}, ["low < high", "4.0", "0.5"]),
                                              ({"low": math.nan, "high": 1.0}, ["finite", "nan"]),
                                              ({"low": 1.0}, ["'high' is missing"])])
def test_9_a_bad_search_range_is_reported_as_a_range(space, words):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**BASE, "structures": ["model1", "model2"],
                            "search": {"space": {"field_arena.secretariat_py": space}}})
    for word in words:
        assert word in str(info.value)
    assert "valid list" not in str(info.value)


@pytest.mark.parametrize(("design", "words"), [
    ({"kind": "sobol", "samples": 3}, ["power of 2", "got 3"]),
    ({"kind": "morris", "samples": 2, "levels": 3}, ["even", "got 3"]),
])
def test_9_salib_settings_it_would_only_warn_about_are_refused_once(design, words):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**BASE, "design": {**design, "ranges": {"turnover_rate": [0.05, 0.2]}}})
    for word in words:
        assert word in str(info.value)


def test_9_a_calibration_screen_sample_that_is_no_power_of_two_is_refused():
    with pytest.raises(ScenarioError, match="power of 2"):
        scenario_from_dict({**BASE, "calibration": {"screen_samples": 3}})


def test_9_a_csv_with_thousands_of_duplicate_numbers_gets_a_short_message(tmp_path):
    from sim.simulation.datasets import DataError, load_municipalities

    path = tmp_path / "m.csv"
    rows = "\n".join(f"{301 + k % 2},{'Oslo' if k % 2 else 'Bergen'},{k + 1}" for k in range(9000))
    path.write_text("number,name,population\n" + rows + "\n")
    with pytest.raises(DataError) as info:
        load_municipalities(path)
    assert "duplicate" in str(info.value) and len(str(info.value)) < LONGEST


# --- the hypothesis suite draws declarations and structural factors, not only scenario fields ---

JUNK = st.one_of(st.booleans(), st.text(max_size=12), st.floats(allow_nan=True, allow_infinity=True),
                 st.integers(min_value=-(2**70), max_value=2**70), st.lists(st.integers(), max_size=3),
                 st.lists(st.sampled_from(["Hdir", "Udir", "XX", "BFD"]), max_size=4), st.just("x" * 5000))
ARENA_FIELDS = ("members", "lead", "topology", "mandate", "decision_rights_from_week", "setup_weeks", "period_weeks",
                "renewed", "meets_every_weeks", "secretariat_py", "knowledge_py", "staffing",
                "coordinating_responsibility", "reference_group", "municipal_reference", "implemented_in_line")
MODEL_FIELDS = ("issuer", "lead_agency", "joint_letters", "issuing_arena", "issuer_responsibility", "title")
STREAM_FIELDS = ("issuer", "lead", "per_year", "channel", "arena")
STRICT_NUMBERS = {"setup_weeks": int, "period_weeks": int, "meets_every_weeks": int, "secretariat_py": float,
                  "knowledge_py": float, "coordinating_responsibility": float, "issuer_responsibility": float,
                  "per_year": int}


def _accepted_values_are_typed(field: str, value) -> None:
    """What a declaration accepts is never text, a flag or a non-finite number where a number belongs."""
    kind = STRICT_NUMBERS.get(field)
    if kind is not None:
        assert not isinstance(value, bool | str) and math.isfinite(value)
        assert kind is float or float(value).is_integer()
        assert abs(value) <= MAX_COUNT


def _refused_naming(exc: ScenarioError, field: str) -> None:
    message = str(exc)
    assert field in message, message
    assert len(message) < LONGEST and "Traceback" not in message


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(["model", "arena"]), data=st.data())
def test_a_declared_model_with_any_value_is_taken_typed_or_refused_naming_the_field(where, data):
    field = data.draw(st.sampled_from(MODEL_FIELDS if where == "model" else ARENA_FIELDS))
    value = data.draw(JUNK)
    model = ({"extends": "model1", field: value} if where == "model"
             else {"extends": "model1", "arena": {GROUP: {field: value}}})
    try:
        _declared(model)
    except ScenarioError as exc:
        _refused_naming(exc, field)
        return
    _accepted_values_are_typed(field, value)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(STREAM_FIELDS), value=JUNK)
def test_a_declared_measure_with_any_stream_value_is_taken_typed_or_refused_naming_the_field(field, value):
    stream = {"issuer": "BFD", "lead": "Bufdir", "per_year": 2, "channel": "measure", field: value}
    try:
        scenario_from_dict({**BASE, "declared_measures": {"mm": {"title": "x", "source": "y", "streams": [stream]}},
                            "measures": [["mm"]]}, "s.toml")
    except ScenarioError as exc:
        _refused_naming(exc, field)
        return
    _accepted_values_are_typed(field, value)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(field=st.sampled_from(["field_arena.meets_every_weeks", "field_arena.secretariat_py", "field_arena.mandate",
                              "field_arena.setup_weeks", "joint_letters", "issuer", "field_arena.period_weeks",
                              "field_arena.coordinating_responsibility"]),
       values=st.lists(JUNK, min_size=1, max_size=3))
def test_a_structural_factor_with_any_values_is_taken_typed_or_refused_naming_it(field, values):
    try:
        scenario_from_dict({**BASE, "design": {"kind": "grid", "values": {field: values}}}, "s.toml")
    except ScenarioError as exc:
        _refused_naming(exc, field.rpartition(".")[2])
        return
    for value in values:
        _accepted_values_are_typed(field.rpartition(".")[2], value)
