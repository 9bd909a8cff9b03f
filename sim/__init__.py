"""Agent-based simulation of national coordination structures for drug prevention among children and youth.

Ministries, directorates, regional offices and municipalities exchange assignments
(oppdrag) and climb the coordination staircase (samordningstrappa) under each
national organisation model of seed 000 (today's, model 1-3) and the measures of
seed 002 §5.4.

Three packages, each importing only those before it (``docs/ARCHITECTURE.md``):
:mod:`sim.simulation` (the model), :mod:`sim.experiments` (running it: scenarios,
designs, batches, search, calibration) and :mod:`sim.analysis` (results, validation,
figures, the report, the view); :mod:`sim.cli` is the command line on top.

The public names (``from sim import CoordinationModel, CRITERIA``) are loaded when first
used (PEP 562), so ``import sim`` alone, and the ``sim`` command's parser, ``--help`` and
refusals of bad input, load none of Mesa, numba, pandas or SciPy.
"""

__version__ = "0.1.0"

from sim import moved  # noqa: E402 - light: importlib only

moved.install()  # the old module names (sim.batch, sim.model, ...) for one more release

# public name -> the module that defines it, imported on first use
PUBLIC = {"CRITERIA": "sim.simulation.metrics", "METRICS": "sim.simulation.metrics",
          "PARAMETERS": "sim.simulation.parameters", "CoordinationModel": "sim.simulation.model",
          "verdicts": "sim.experiments.orderings"}

__all__ = ["CRITERIA", "METRICS", "PARAMETERS", "CoordinationModel", "verdicts"]


def __getattr__(name: str) -> object:
    """A public name, imported from its module on first use and kept; else a module of the old flat layout as an
    attribute (``sim.model``), with a DeprecationWarning (:mod:`sim.moved`)."""
    if name in PUBLIC:
        import importlib

        value = getattr(importlib.import_module(PUBLIC[name]), name)
        globals()[name] = value  # later lookups find it without coming here
        return value
    return moved.attribute(name)


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
