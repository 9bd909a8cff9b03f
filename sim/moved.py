"""Where the modules of the flat ``sim/`` layout went (one table), and the import hook that keeps the old names working.

Until the three layers, every module sat in ``sim/`` itself: ``sim.batch``, ``sim.model``,
``sim.validation``... Code written against those names (a notebook, a script) keeps working
for one more release: ``import sim.batch``, ``from sim.validation import verdicts`` and
``sim.model`` after ``import sim`` each give what the new name gives, with a
``DeprecationWarning`` that names it, attributed to the line that used the old name.

A module that moved whole is the new module itself, the same object (patching one patches
the other, and no module is loaded twice); its submodules follow (``sim.batch.run`` is
``sim.experiments.batch.run``). A module that was split resolves each name in the modules
that now hold its parts, in the order listed, and the warning names that name's new place.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from typing import Any

SIMULATION = ("agents", "checks", "core", "datasets", "kernels", "metrics", "model", "parameters", "provenance",
              "replications", "rng", "state", "structs", "structures", "world")
EXPERIMENTS = ("batch", "calibration", "clusters", "designs", "intervals", "runner", "scenario", "search",
               "sensitivity", "structural")
ANALYSIS = ("results", "robustness", "view_assets", "viz")
PLOTS = ("sim.analysis.plots", *(f"sim.analysis.plots.{m}" for m in (
    "canvas", "frames", "groups", "criteria", "staircase", "assignments", "coverage", "sweeps", "measures",
    "sensitivity", "batch")))

# old module -> the new modules that hold what it held (several where it was split)
MOVED: dict[str, tuple[str, ...]] = {
    **{f"sim.{m}": (f"sim.simulation.{m}",) for m in SIMULATION},
    **{f"sim.{m}": (f"sim.experiments.{m}",) for m in EXPERIMENTS},
    **{f"sim.{m}": (f"sim.analysis.{m}",) for m in ANALYSIS},
    "sim.search.figure": ("sim.analysis.plots.search",),
    "sim.search.page": ("sim.analysis.report.search",),
    "sim.network": ("sim.analysis.plots.network",),
    "sim.plots": (*PLOTS, "sim.experiments.labels", "sim.experiments.orderings"),
    "sim.report": ("sim.analysis.report", "sim.analysis.report.page", "sim.analysis.report.folder",
                   "sim.analysis.report.networks", "sim.analysis.report.render"),
    "sim.style": ("sim.analysis.style", "sim.experiments.labels"),
    "sim.validation": ("sim.analysis.validation", "sim.experiments.orderings"),
}


def new_names(old: str) -> tuple[str, ...] | None:
    """The new modules of an old name, its submodules included (``sim.batch.run``); None if it did not move."""
    if not old.startswith("sim."):
        return None
    parts = old.split(".")
    for cut in range(len(parts), 1, -1):  # the longest moved prefix decides (sim.search.page before sim.search)
        targets = MOVED.get(".".join(parts[:cut]))
        if targets is not None:
            rest = parts[cut:]
            return targets if not rest else (".".join([targets[0], *rest]),)
    return None


class Split(types.ModuleType):
    """An old module whose parts went to several new ones: each name is looked up in them, in order, and warns."""

    def __init__(self, name: str, parts: list[types.ModuleType]) -> None:
        super().__init__(name, f"Moved: the parts of {name} are in {', '.join(p.__name__ for p in parts)}.")
        self._parts = parts

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):  # what the import system asks of a module (__path__, ...): an old module had none
            raise AttributeError(name)
        for part in self._parts:
            if hasattr(part, name):
                value = getattr(part, name)
                home = getattr(value, "__module__", None) if callable(value) else None
                warn(f"{self.__name__}.{name}", f"{home if home in sys.modules else part.__name__}.{name}")
                return value
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r} (its parts moved to "
                             f"{', '.join(p.__name__ for p in self._parts)})")

    def __dir__(self) -> list[str]:
        return sorted({n for part in self._parts for n in dir(part)})


def warn(old: str, new: str) -> None:
    """The DeprecationWarning for an old name, attributed to the first frame outside the import machinery.

    That frame is the notebook cell or script that used the old name, so Python's default filter
    (which shows a DeprecationWarning only where ``__main__`` triggers it) shows it there.
    """
    frame = sys._getframe(1)  # noqa: SLF001 - the frames importlib adds cannot be skipped by stacklevel on 3.11
    while frame.f_back is not None and (frame.f_code.co_filename.startswith("<frozen importlib")
                                        or frame.f_code.co_filename in _PASSED_THROUGH):
        frame = frame.f_back
    warnings.warn_explicit(f"{old} moved to {new}; import it from there (the old name works for one more release; "
                           "docs/ARCHITECTURE.md lists what went where)", DeprecationWarning,
                           frame.f_code.co_filename, frame.f_lineno, module=frame.f_globals.get("__name__"),
                           registry=frame.f_globals.setdefault("__warningregistry__", {}))


class Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old names first, so that a moved module is never found again under its old name by its file."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if new_names(fullname) is None:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        modules = [importlib.import_module(name) for name in new_names(spec.name)]
        if len(modules) > 1:  # each name warns when it is used, with where it went
            return Split(spec.name, modules)
        warn(spec.name, modules[0].__name__)
        spec.loader_state = modules[0].__spec__  # importlib gives the module this spec; exec_module gives its own back
        return modules[0]

    def exec_module(self, module: types.ModuleType) -> None:
        own = module.__spec__.loader_state
        if own is not None:
            module.__spec__ = own


_PASSED_THROUGH = {__file__, importlib.__file__, sys.modules["sim"].__file__}  # sim.__getattr__ passes through too


def install() -> None:
    """Put the finder first on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, Finder) for f in sys.meta_path):
        sys.meta_path.insert(0, Finder())


def attribute(name: str) -> types.ModuleType:
    """``sim.<name>`` of the old layout as an attribute (``import sim; sim.model``): the module, through the finder."""
    if f"sim.{name}" not in MOVED:
        raise AttributeError(f"module 'sim' has no attribute {name!r}")
    return importlib.import_module(f"sim.{name}")
