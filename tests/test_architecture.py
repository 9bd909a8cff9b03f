"""The layering of ``sim/``: simulation < experiments < analysis < cli, read from every import (lazy ones too)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

from sim.moved import new_names

PACKAGE = Path(__file__).resolve().parents[1] / "sim"
LAYERS = ("sim.data", "sim.simulation", "sim.experiments", "sim.analysis", "sim.cli")  # each may import those before it
ROOT = ("sim", "sim.moved")  # the package's front door and the old names' table sit above the layers


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, name: str, is_package: bool) -> list[tuple[int, str, list[str]]]:
    """Every import in ``source`` (module level or inside a function): (line, absolute module, names imported)."""
    package = name if is_package else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names = [alias.name for alias in node.names]
            if node.module is None:  # from . import x: x may be a module
                found += [(node.lineno, f"{module}.{n}", []) for n in names]
            else:
                found.append((node.lineno, module, names))
    return found


def layer(name: str) -> int | None:
    """The index of the layer a module belongs to, or None outside the layers (the root, other packages)."""
    for k, prefix in enumerate(LAYERS):
        if name == prefix or name.startswith(prefix + "."):
            return k
    return None


def violations(source: str, name: str, is_package: bool = False) -> list[str]:
    """What in one module breaks the layering: an import of a higher layer, of the root beyond its version, or of
    an old (moved) module name."""
    own = layer(name)
    found = []
    for line, module, names in imports(source, name, is_package):
        if not (module == "sim" or module.startswith("sim.")):
            continue
        where = f"{name}:{line} imports {module}"
        if new_names(module) is not None:
            found.append(f"{where}, an old name (see sim.moved)")
        elif module in ROOT:
            if own is not None and (module != "sim" or names != ["__version__"]):
                found.append(f"{where} {names or ''}: a layer takes only __version__ from the root")
        elif own is not None and (layer(module) is None or layer(module) > own):
            found.append(f"{where}, a higher layer")
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_sits_in_a_layer_or_is_the_root():
    stray = [module_name(p) for p in modules() if layer(module_name(p)) is None and module_name(p) not in ROOT]
    assert not stray, f"modules outside the layers {LAYERS}: {stray}"


def test_no_module_imports_a_higher_layer_even_lazily():
    found = [v for p in modules() for v in violations(p.read_text(encoding="utf-8"), module_name(p),
                                                       p.name == "__init__.py")]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(("source", "name", "bad"), [
    ("def f():\n    from sim.analysis.validation import side_by_side\n", "sim.experiments.calibration", True),
    ("def f():\n    from ...analysis import plots\n", "sim.experiments.search.outputs", True),
    ("from ..plots.canvas import DPI\n", "sim.analysis.report.page", False),
    ("from sim.experiments.batch import run_batch\n", "sim.analysis.results", False),
    ("import sim.cli\n", "sim.analysis.viz", True),
    ("from sim import CoordinationModel\n", "sim.simulation.replications", True),
    ("from sim import __version__\n", "sim.experiments.batch.manifest", False),
    ("from sim.batch import run_batch\n", "sim.cli.batch", True),
])
def test_the_check_sees_upward_imports_lazy_and_relative_ones_too(source, name, bad):
    assert bool(violations(source, name)) == bad


def test_the_parser_imports_nothing_heavy_and_the_entry_point_no_command():
    """`sim --help` must not need the library: the parser takes argparse and the version, the entry point loads a
    command's module only when that command runs."""
    parser = imports((PACKAGE / "cli" / "parser.py").read_text(encoding="utf-8"), "sim.cli.parser", False)
    assert {m for _, m, _ in parser} <= {"__future__", "argparse", "sim"}
    entry = ast.parse((PACKAGE / "cli" / "entry.py").read_text(encoding="utf-8"))
    top = {n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in entry.body
           if isinstance(n, ast.Import | ast.ImportFrom)}
    light = ("machine", "scenario_file")  # the cores, and the scenario file read as TOML: the standard library only
    assert top <= {"__future__", *sys.stdlib_module_names, "exits", "parser",
                   *(f"sim.experiments.{m}" for m in light)}, top
    for module in light:
        tree = ast.parse((PACKAGE / "experiments" / f"{module}.py").read_text(encoding="utf-8"))
        assert {n.module if isinstance(n, ast.ImportFrom) else n.names[0].name for n in tree.body
                if isinstance(n, ast.Import | ast.ImportFrom)} <= {"__future__", *sys.stdlib_module_names}, module
