"""Keep ``docs/ODD.md`` honest: its structure, parameter table and names must match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import sim
from sim.simulation.parameters import PARAMETERS, Parameter
from sim.simulation.structures import catalogue

ODD = Path(__file__).resolve().parents[1] / "docs" / "ODD.md"
HEADINGS = (
    "## 1. Purpose and patterns",
    "## 2. Entities, state variables and scales",
    "## 3. Process overview and scheduling",
    "## 4. Design concepts",
    "## 5. Initialization",
    "## 6. Input data",
    "## 7. Submodels",
)


@pytest.fixture(scope="module")
def text() -> str:
    return ODD.read_text(encoding="utf-8")


def fmt(p: Parameter, value: float) -> str:
    """How the generated table in ODD.md formats a parameter value (stated there too)."""
    return str(int(value)) if p.integer else f"{value:g}"


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def parameter_rows(text: str) -> dict[str, list[str]]:
    """Rows of the table under '### Parameters': name (without backticks) -> its cells."""
    section = text.split("### Parameters", 1)[1]
    section = re.split(r"^#{2,3} ", section, flags=re.MULTILINE)[0]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        row = cells(line)
        name = row[0].strip("`")
        if name in ("name", "") or set(name) <= set("-: "):
            continue
        assert name not in rows, f"parameter {name!r} appears twice in the ODD parameter table"
        rows[name] = row
    return rows


def test_the_seven_odd_elements_in_order(text: str) -> None:
    top = [line.strip() for line in text.splitlines() if line.startswith("## ")]
    assert tuple(top) == HEADINGS


def test_parameter_table_matches_parameters(text: str) -> None:
    assert "### Parameters" in text
    rows = parameter_rows(text)
    declared = {p.name for p in PARAMETERS}
    assert set(rows) == declared, (
        f"missing from ODD.md: {sorted(declared - set(rows))}; not parameters any more: {sorted(set(rows) - declared)}"
    )
    for p in PARAMETERS:
        row = rows[p.name]
        assert row[0] == f"`{p.name}`"
        assert row[1] == fmt(p, p.default), f"{p.name}: ODD.md says default {row[1]}, code says {fmt(p, p.default)}"
        assert row[2] == p.unit, f"{p.name}: unit"
        assert row[3] == f"[{fmt(p, p.low)}, {fmt(p, p.high)}]", f"{p.name}: range"
        assert len(row) == 6, (
            f"{p.name}: expected 6 cells (name, default, unit, range, source, meaning), got {len(row)}"
        )
        assert row[4] == p.source, f"{p.name}: ODD.md says source {row[4]!r}, code says {p.source!r}"
        assert row[5] == p.doc, f"{p.name}: ODD.md says meaning {row[5]!r}, code says {p.doc!r}"


@pytest.mark.parametrize("p", PARAMETERS, ids=lambda p: p.name)
def test_every_parameter_in_a_row_with_its_default(text: str, p: Parameter) -> None:
    pattern = rf"^\|\s*`{re.escape(p.name)}`\s*\|\s*{re.escape(fmt(p, p.default))}\s*\|"
    assert re.search(pattern, text, flags=re.MULTILINE), f"no row '| `{p.name}` | {fmt(p, p.default)} |' in ODD.md"


def test_a_changed_default_is_caught(text: str) -> None:
    """The check above is real: the same table with one default altered fails it."""
    p = PARAMETERS[0]
    row = f"| `{p.name}` | {fmt(p, p.default)} |"
    assert row in text
    altered = text.replace(row, f"| `{p.name}` | {fmt(p, p.default + 1)} |")
    pattern = rf"^\|\s*`{re.escape(p.name)}`\s*\|\s*{re.escape(fmt(p, p.default))}\s*\|"
    assert not re.search(pattern, altered, flags=re.MULTILINE)


@pytest.mark.parametrize("p", PARAMETERS, ids=lambda p: p.name)
def test_every_parameter_meaning_is_its_doc(text: str, p: Parameter) -> None:
    """The meaning column is ``Parameter.doc`` verbatim, so a changed doc string fails."""
    assert parameter_rows(text)[p.name][5] == p.doc, (
        f"{p.name}: the meaning in ODD.md differs from Parameter.doc; regenerate the table with the snippet in ODD.md"
    )


def test_a_changed_doc_is_caught(text: str) -> None:
    """The meaning check is real: the same table with one doc string altered fails it."""
    p = next(q for q in PARAMETERS if q.name == "erosion_rate")
    row = f"| {p.source} | {p.doc} |"
    assert row in text
    altered = text.replace(row, f"| {p.source} | {p.doc} (old wording) |")
    assert parameter_rows(altered)[p.name][5] != p.doc
    with pytest.raises(AssertionError, match="meaning"):
        test_parameter_table_matches_parameters(altered)


@pytest.mark.parametrize("name", sim.CRITERIA)
def test_every_criterion_named(text: str, name: str) -> None:
    assert f"`{name}`" in text


def test_every_model_and_measure_named(text: str) -> None:
    c = catalogue()
    for name in (*c.models, *c.measures):
        assert f"`{name}`" in text, f"{name!r} from structures.toml is not in ODD.md"
