"""The old module names (the flat sim/ layout) still work for one release, warn where they are used, and load nothing
twice."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.moved import MOVED, new_names

# every module of the flat layout (sim/*.py and the packages batch/, kernels/, search/ before the three layers)
FLAT = ("agents", "batch", "calibration", "checks", "clusters", "core", "datasets", "designs", "intervals",
        "kernels", "metrics", "model", "network", "parameters", "plots", "provenance", "replications", "report",
        "results", "rng", "robustness", "runner", "scenario", "search", "sensitivity", "state", "structs",
        "structural", "structures", "style", "validation", "view_assets", "viz", "world")


def forget(monkeypatch, old: str) -> None:
    """Make the next import of ``old`` go through the import system again, as in a fresh interpreter."""
    for name in [n for n in sys.modules if n == old or n.startswith(old + ".")]:
        monkeypatch.delitem(sys.modules, name)
    parent, _, child = old.rpartition(".")
    if child in vars(sys.modules.get(parent, sim)):  # not hasattr: on sim it would import the old name
        monkeypatch.delattr(sys.modules[parent], child)


def test_every_module_of_the_flat_layout_has_a_new_home_that_imports():
    assert {f"sim.{m}" for m in FLAT} <= set(MOVED)
    for targets in MOVED.values():
        for target in targets:
            importlib.import_module(target)


@pytest.mark.parametrize("old", sorted(name for name, targets in MOVED.items() if len(targets) == 1))
def test_a_module_that_moved_whole_is_the_new_module_and_its_import_warns_with_the_new_name(old, monkeypatch):
    forget(monkeypatch, old)
    (new,) = MOVED[old]
    with pytest.warns(DeprecationWarning, match=rf"{old} moved to {new}\b") as caught:
        module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__spec__.name == new  # the module keeps its own spec (pickling, reload, -m)
    assert caught[0].filename == __file__  # the warning points at the caller, where a notebook shows it


def test_submodules_of_a_moved_package_are_the_new_ones_never_a_second_copy(monkeypatch):
    forget(monkeypatch, "sim.batch")
    with pytest.warns(DeprecationWarning, match=r"sim\.batch\S* moved to sim\.experiments\.batch") as caught:
        import sim.batch.run  # noqa: F401 - the import is what is tested
        from sim.batch import BatchConflict as old
    assert "sim.batch.run moved to sim.experiments.batch.run;" in str(caught[-1].message)
    assert sys.modules["sim.batch.run"] is sys.modules["sim.experiments.batch.run"]
    from sim.experiments.batch.errors import BatchConflict
    assert old is BatchConflict  # one class, so `except` clauses written against either name catch it


def test_a_split_module_finds_each_name_where_it_went_and_says_where(monkeypatch):
    forget(monkeypatch, "sim.validation")
    from sim.analysis.validation import side_by_side
    from sim.experiments.orderings import report_orderings
    with pytest.warns(DeprecationWarning) as caught:
        from sim.validation import report_orderings as old_orderings
        from sim.validation import side_by_side as old_side_by_side
    assert old_orderings is report_orderings and old_side_by_side is side_by_side
    messages = [str(w.message) for w in caught]
    assert any("sim.validation.report_orderings moved to sim.experiments.orderings.report_orderings" in m
               for m in messages)
    assert any("sim.validation.side_by_side moved to sim.analysis.validation.side_by_side" in m for m in messages)
    import sim.validation
    with pytest.raises(AttributeError, match="sim.analysis.validation, sim.experiments.orderings"):
        sim.validation.no_such_name  # noqa: B018


def test_the_old_modules_as_attributes_of_sim_warn_and_unknown_names_still_fail(monkeypatch):
    forget(monkeypatch, "sim.model")
    with pytest.warns(DeprecationWarning, match="sim.model moved to sim.simulation.model"):
        assert sim.model.CoordinationModel is sim.CoordinationModel
    with pytest.raises(AttributeError):
        sim.no_such_module  # noqa: B018
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("sim.no_such_module")
    assert new_names("sim.simulation.model") is None and new_names("numpy") is None


def test_new_names_and_the_shipped_tools_use_no_old_name():
    """The CLI and the library import only new names: running a command warns about nothing."""
    done = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:sim", "-c",
                           "import sim.cli, sim.analysis.report, sim.analysis.viz, sim.experiments.search, "
                           "sim.experiments.calibration, sim.experiments.sensitivity, sim.analysis.robustness"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr


def test_the_architecture_page_lists_every_old_name():
    """The warning sends readers to docs/ARCHITECTURE.md; its table must name each old module."""
    page = (Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    table = page.split("## Old module names", 1)[1]
    for old in MOVED:
        short = old.removeprefix("sim.")
        assert f"`{old}`" in table or f"`{short}`" in table, old
