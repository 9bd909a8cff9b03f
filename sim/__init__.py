"""Agent-based simulation of national coordination structures for drug prevention among children and youth.

Ministries, directorates, regional offices and municipalities exchange assignments
(oppdrag) and climb the coordination staircase (samordningstrappa) under each
national organisation model of seed 000 (today's, model 1-3) and the measures of
seed 002 §5.4.

Three packages, each importing only those before it (``docs/ARCHITECTURE.md``):
:mod:`sim.simulation` (the model), :mod:`sim.experiments` (running it: scenarios,
designs, batches, search, calibration) and :mod:`sim.analysis` (results, validation,
figures, the report, the view); :mod:`sim.cli` is the command line on top.
"""

__version__ = "0.1.0"

from sim import moved  # noqa: E402

moved.install()  # the old module names (sim.batch, sim.model, ...) for one more release

from sim.experiments.orderings import verdicts  # noqa: E402
from sim.simulation.metrics import CRITERIA, METRICS  # noqa: E402
from sim.simulation.model import CoordinationModel  # noqa: E402
from sim.simulation.parameters import PARAMETERS  # noqa: E402

__all__ = ["CRITERIA", "METRICS", "PARAMETERS", "CoordinationModel", "verdicts"]


def __getattr__(name: str) -> object:
    """A module of the old flat layout as an attribute (``sim.model``), with a DeprecationWarning (:mod:`sim.moved`)."""
    return moved.attribute(name)
