"""Tests of the data layer: shipped tables, the two municipality sets, user CSVs, errors."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.data import synthetic
from sim.simulation.datasets import (
    DATASETS,
    MUNICIPALITY_COLUMNS,
    RER_ALPHA,
    DataError,
    fit_rer_alpha,
    load_actors,
    load_municipalities,
    synthetic_municipalities,
)

DEFAULT = load_municipalities()
SYNTHETIC = load_municipalities("synthetic")
COUNTIES = pd.read_csv(resources.files("sim.data").joinpath("counties.csv"), dtype={"county_number": int})


def write(tmp_path: Path, text: str, name: str = "kommuner.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- both shipped sets -----------------------------------------------------------------------


@pytest.mark.parametrize("name", DATASETS)
def test_shipped_set_shape_and_types(name: str) -> None:
    frame = load_municipalities(name)
    assert len(frame) == 357
    assert tuple(frame.columns) == MUNICIPALITY_COLUMNS
    assert frame["number"].is_unique
    for column in ("number", "county", "population", "size_class"):
        assert frame[column].dtype == np.int64
    assert frame["rer_funding_nok"].dtype == np.float64
    assert frame["name"].map(type).eq(str).all()
    assert set(frame["size_class"]) == {0, 1, 2}
    counts = frame.groupby("county").size()
    assert counts.to_dict() == dict(zip(COUNTIES["county_number"], COUNTIES["municipality_count"]))
    assert (frame["number"] // 100 == frame["county"]).all()
    # a shipped set is a whole country: it shares the 100 MNOK over its own rows, whatever rer_pot says
    assert frame["rer_funding_nok"].sum() == pytest.approx(100e6)
    pd.testing.assert_frame_equal(load_municipalities(name, rer_pot="loaded"), frame)


@pytest.mark.parametrize("name", DATASETS)
def test_shipped_set_runs_through_actors_model_and_scenario(name: str, tmp_path: Path) -> None:
    from sim.experiments.batch.fingerprint import fingerprint
    from sim.experiments.scenario import load_scenario
    from sim.simulation.model import CoordinationModel

    assert load_actors(name).municipalities.equals(load_municipalities(name))
    file = write(tmp_path, f'name = "s"\nstructures = ["baseline"]\nweeks = 2\nmunicipalities = "{name}"\n', "s.toml")
    scenario = load_scenario(file)
    assert scenario.municipalities == name  # a dataset name, not a path beside the file
    assert fingerprint(scenario)["scenario"]["municipalities"] == name
    model = CoordinationModel("baseline", municipalities=scenario.municipalities, rng=1)
    model.run_weeks(2)
    assert model.actors.municipalities.equals(load_municipalities(name))


# --- the default set: SSB table 07459, 1 January 2024 (docs/DATA.md) -----------------------

SSB_2024_SHA256 = "3c4a3d31eca64165d64a6abccbf8ca8cadc0bfd438957d9ab536cd94d28b7399"  # PROVENANCE of the extraction


def test_default_set_is_the_ssb_2024_extraction() -> None:
    import hashlib

    shipped = resources.files("sim.data").joinpath("municipalities.csv").read_bytes()
    assert hashlib.sha256(shipped).hexdigest() == SSB_2024_SHA256
    assert shipped.startswith(b"number,name,county,population\n0301,Oslo-Oslove,03,717710\n")
    assert DEFAULT["population"].sum() == 5_550_203  # SSB's national total, 1 January 2024
    assert not DEFAULT["name"].str.startswith("Syntetisk").any()


def test_default_set_size_figures() -> None:
    # SSB 07459, 1 January 2024; DOMAIN.md's figures are NPK's for 2020 (356 municipalities), the synthetic set's targets
    population = DEFAULT["population"]
    assert [(population < 1_000).sum(), (population > 25_000).sum(), (population > 50_000).sum()] == [23, 49, 20]
    assert DEFAULT["size_class"].value_counts().sort_index().tolist() == [174, 117, 66]
    largest = DEFAULT[population > 100_000].sort_values("population", ascending=False)
    assert largest["number"].tolist() == [301, 4601, 5001, 1103, 3201, 4204, 3301]  # the same seven as in 2020
    assert largest["population"].iloc[0] == 717_710
    smallest = DEFAULT.nsmallest(1, "population")
    assert (smallest["number"].item(), smallest["name"].item(), smallest["population"].item()) == (1151, "Utsira", 215)


def test_default_set_names_repeat_so_join_on_number() -> None:
    # csdata's name forms (e.g. "Oslo-Oslove"); Herøy and Våler are two municipalities each
    doubled = DEFAULT[DEFAULT["name"].duplicated(keep=False)].sort_values("number")
    assert list(zip(doubled["number"], doubled["name"])) == [
        (1515, "Herøy"), (1818, "Herøy"), (3114, "Våler"), (3419, "Våler")]


def test_the_two_sets_differ() -> None:
    assert DEFAULT["number"].is_unique and SYNTHETIC["number"].is_unique
    assert not DEFAULT["population"].equals(SYNTHETIC["population"])
    assert SYNTHETIC["name"].str.startswith("Syntetisk kommune").sum() == 350


# --- the synthetic set (dataset "synthetic", sim/data/synthetic.py) ---------------------------


def test_published_counts_hold_exactly() -> None:
    population = SYNTHETIC["population"]
    assert (population < 1_000).sum() == 21
    assert (population > 25_000).sum() == 44
    assert (population > 50_000).sum() == 19
    assert (population > 100_000).sum() == 7
    assert population.min() < 200
    assert 14_500 <= population.mean() <= 15_100
    assert 0.47 <= (population < 5_000).mean() <= 0.50


def test_named_seven_are_the_largest() -> None:
    largest = SYNTHETIC.nlargest(7, "population")
    expected = {301: "Oslo", 4601: "Bergen", 5001: "Trondheim", 1103: "Stavanger", 3201: "Bærum", 4204: "Kristiansand", 3301: "Drammen"}
    assert dict(zip(largest["number"], largest["name"])) == expected
    assert SYNTHETIC.loc[SYNTHETIC["number"] == 301, "population"].item() == 693_494


def test_regenerating_csv_gives_identical_bytes() -> None:
    assert synthetic.OUTPUT == "municipalities_synthetic.csv"
    shipped = resources.files("sim.data").joinpath(synthetic.OUTPUT).read_bytes()
    assert synthetic.render().encode("utf-8") == shipped


# --- RER grant -------------------------------------------------------------------------------


def test_rer_oslo_and_total() -> None:
    # 002 §RER: Oslo gets 18 MNOK of the 100 MNOK; the shipped RER_ALPHA gives it within 0.05 MNOK
    oslo = DEFAULT.loc[DEFAULT["number"] == 301, "rer_funding_nok"].item()
    assert oslo == pytest.approx(18e6, abs=0.05e6)
    assert DEFAULT["rer_funding_nok"].sum() == pytest.approx(100e6)


def test_rer_alpha_is_the_fit_to_oslo_18_mnok() -> None:
    alpha = fit_rer_alpha()  # bisection on the default set
    assert RER_ALPHA == round(alpha, 4), f"refit: RER_ALPHA = {alpha:.4f}"
    population = DEFAULT["population"].to_numpy(dtype=float)
    oslo = DEFAULT.loc[DEFAULT["number"] == 301, "population"].item()
    assert oslo**alpha / (population**alpha).sum() == pytest.approx(0.18, abs=1e-9)
    assert fit_rer_alpha(DEFAULT, oslo_nok=100e6 * oslo / population.sum()) == pytest.approx(1.0)  # the linear key
    with pytest.raises(ValueError, match="Oslo"):
        fit_rer_alpha(DEFAULT[DEFAULT["number"] != 301])


def test_rer_grows_with_population() -> None:
    ordered = DEFAULT.sort_values("population")
    assert ordered["rer_funding_nok"].is_monotonic_increasing


# --- actors ----------------------------------------------------------------------------------


def test_actors_tables() -> None:
    actors = load_actors()
    ministries, directorates, offices = actors.ministries, actors.directorates, actors.regional_offices
    assert set(ministries.loc[ministries["kubu_member"], "code"]) == {"BFD", "AID", "HOD", "JD", "KD", "KDD", "KUD"}
    assert ministries.loc[~ministries["kubu_member"], "code"].tolist() == ["DFD"]
    assert ministries["kubu_member"].dtype == bool
    assert len(directorates) == 13 and directorates["etatssamarbeid"].all()
    assert directorates["etatssamarbeid"].dtype == bool
    assert set(directorates["ministry"]) <= set(ministries["code"])
    assert directorates["status"].value_counts().to_dict() == {"sourced": 8, "assumed": 5}
    assert directorates["relevance"].between(0, 1).all()
    assert (directorates.set_index("code").loc["Hdir", ["relevance", "capacity_py"]] == [1.0, 6.0]).all()
    for table in (ministries, directorates, offices):
        assert (table["capacity_py"] > 0).all()
        assert table["source"].str.contains("assumption").all()
    assert actors.municipalities.equals(DEFAULT)


def test_every_county_has_one_statsforvalter_and_one_korus() -> None:
    offices = load_actors().regional_offices
    assert offices["kind"].value_counts().to_dict() == {"statsforvalter": 10, "korus": 7}
    assert all(isinstance(c, tuple) and all(isinstance(i, int) for i in c) for c in offices["counties"])
    for kind in ("statsforvalter", "korus"):
        covered = [c for counties in offices.loc[offices["kind"] == kind, "counties"] for c in counties]
        assert sorted(covered) == sorted(COUNTIES["county_number"])
    statsforvalter = offices.set_index("code")["counties"]
    for county, office in zip(COUNTIES["county_number"], COUNTIES["statsforvalter"]):
        assert county in statsforvalter[office]


def test_unknown_dataset_name() -> None:
    with pytest.raises(DataError, match="'name'.*sweden.*norway, synthetic"):
        load_actors("sweden")
    with pytest.raises(DataError, match="sweden.*norway, synthetic"):
        load_municipalities("sweden")
    assert DATASETS == ("norway", "synthetic")


# --- user CSVs -------------------------------------------------------------------------------


def test_user_csv_round_trip(tmp_path: Path) -> None:
    path = write(tmp_path, "Kommunenummer;NAVN;Fylke;Innbyggere\n4601;Bergen;Vestland;290000\n0301;Oslo;03;700000\n1818;Herøy;18;1700\n")
    frame = load_municipalities(path)
    assert frame["number"].tolist() == [4601, 301, 1818]  # input order kept
    assert frame["county"].tolist() == [46, 3, 18]
    assert frame["statsforvalter"].tolist() == ["SF-VL", "SF-OAOB", "SF-NRL"]
    assert frame["korus"].tolist() == ["KORUS-BERGEN", "KORUS-OSLO", "KORUS-NORD"]
    assert frame["size_class"].tolist() == [2, 2, 0]
    national = load_municipalities().set_index("number")
    assert frame["rer_funding_nok"].sum() < 100e6  # a subset keeps its national amounts (rer_pot="national")
    oslo = national.loc[301, "rer_funding_nok"] * (700_000 / national.loc[301, "population"]) ** RER_ALPHA
    assert frame.set_index("name").loc["Oslo", "rer_funding_nok"] == pytest.approx(oslo)  # 700,000 here
    assert national.loc[301, "rer_funding_nok"] == pytest.approx(18e6, rel=0.01)
    assert load_municipalities(path, rer_pot="loaded")["rer_funding_nok"].sum() == pytest.approx(100e6)
    again = load_municipalities(write(tmp_path, frame[["number", "name", "county", "population"]].to_csv(index=False), "again.csv"))
    pd.testing.assert_frame_equal(again, frame)


def test_county_derived_from_number_and_size_class_bounds() -> None:
    frame = load_municipalities(pd.DataFrame({"number": [301, 1101, 1102, 1103], "name": list("abcd"), "population": [4_999, 5_000, 19_999, 20_000]}))
    assert frame["county"].tolist() == [3, 11, 11, 11]
    assert frame["size_class"].tolist() == [0, 1, 1, 2]


@pytest.mark.parametrize(
    ("text", "column", "words"),
    [
        ("nummer,name,pop\n301,Oslo,1\n", "number, population", "kommunenummer"),
        ("number,name,population\n301,Oslo,1\n0301,Oslo igjen,2\n", "number", "duplicate"),
        ("number,name,population\n301,Oslo,1\n1101,Eigersund,-5\n", "population", "data row 2"),
        ("number,name,population\n9901,Nowhere,1\n", "number", "03 Oslo"),
        ("number,name,county,population\n301,Oslo,Viken,1\n", "county", "Viken"),
        ("number,name,population\n301,Oslo,many\n", "population", "not an integer"),
        ("number,name,population\n12345,Too big,1\n", "number", "101..9999"),
        ("number,name,population\n", "number", "no rows"),
    ],
)
def test_data_errors_name_file_and_column(tmp_path: Path, text: str, column: str, words: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(DataError) as error:
        load_municipalities(path)
    message = str(error.value)
    assert str(path) in message
    assert f"column '{column}'" in message
    assert words in message


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no such file"):
        load_municipalities(tmp_path / "absent.csv")


# --- scaled synthetic sets -------------------------------------------------------------------


def test_synthetic_municipalities_scale() -> None:
    frame = synthetic_municipalities(3570)
    assert len(frame) == 3570 and frame["number"].is_unique
    assert tuple(frame.columns) == MUNICIPALITY_COLUMNS
    population = frame["population"]
    assert [(population < 1_000).sum(), (population > 25_000).sum(), (population > 100_000).sum()] == [230, 490, 70]
    assert population.mean() == pytest.approx(DEFAULT["population"].mean())
    assert frame["rer_funding_nok"].sum() == pytest.approx(100e6)


def test_synthetic_seed_permutes_rows_only() -> None:
    a, b = synthetic_municipalities(700, seed=1), synthetic_municipalities(700, seed=2)
    assert not a["number"].equals(b["number"])
    pd.testing.assert_frame_equal(a.set_index("number").sort_index(), b.set_index("number").sort_index())


@pytest.mark.parametrize("n", [0, -3])
def test_synthetic_rejects_non_positive_n(n: int) -> None:
    with pytest.raises(ValueError, match="n must be >= 1"):
        synthetic_municipalities(n)


@given(st.integers(min_value=1, max_value=2_000))
@settings(max_examples=25, deadline=None)
def test_synthetic_any_size(n: int) -> None:
    frame = synthetic_municipalities(n)
    assert len(frame) == n and frame["number"].is_unique
    assert frame["population"].between(DEFAULT["population"].min(), DEFAULT["population"].max()).all()


# --- order independence ----------------------------------------------------------------------

RAW = pd.read_csv(resources.files("sim.data").joinpath("municipalities.csv"), dtype=str)


@given(st.permutations(range(len(RAW))))
@settings(max_examples=25, deadline=None)
def test_shuffling_rows_gives_same_per_number_results(order: list[int]) -> None:
    shuffled = load_municipalities(RAW.iloc[order].reset_index(drop=True))
    assert shuffled["number"].tolist() == RAW["number"].astype(int).iloc[order].tolist()
    pd.testing.assert_frame_equal(shuffled.set_index("number").sort_index(), DEFAULT.set_index("number").sort_index())


def test_todays_arenas_have_the_members_the_actor_data_records():
    # KUBU and the agencies' collaboration are declared once as arenas of today (structures.toml [today]) and
    # recorded as membership columns in the actor data (docs/DATA.md); the two must not drift apart
    from sim.simulation.datasets import load_actors
    from sim.simulation.structures import catalogue

    actors = load_actors()
    today = {a.name: set(a.members) for a in catalogue().today.arenas}
    assert today["KUBU core group"] == set(actors.ministries.loc[actors.ministries["kubu_member"], "code"])
    assert today["Agencies' collaboration (etatssamarbeidet)"] == set(
        actors.directorates.loc[actors.directorates["etatssamarbeid"], "code"])
