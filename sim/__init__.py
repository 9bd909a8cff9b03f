"""Agent-based simulation of national coordination structures for drug prevention among children and youth.

Ministries, directorates, regional offices and municipalities exchange assignments
(oppdrag) and climb the coordination staircase (samordningstrappa) under each
national organisation model of seed 000 (today's, model 1-3) and the measures of
seed 002 §5.4.
"""

from .metrics import CRITERIA, METRICS
from .model import CoordinationModel
from .parameters import PARAMETERS
from .validation import verdicts

__all__ = ["CRITERIA", "METRICS", "PARAMETERS", "CoordinationModel", "verdicts"]
__version__ = "0.1.0"
