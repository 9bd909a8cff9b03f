"""Agent-based simulation of national coordination structures for drug prevention among children and youth.

Ministries, directorates, regional offices and municipalities exchange assignments
(oppdrag) and climb the coordination staircase (samordningstrappa) under each
national organisation model of seed 000 (today's, model 1-3) and the measures of
seed 002 §5.4.
"""

from .provenance import use_numba_cache_for_this_code

use_numba_cache_for_this_code()  # before any kernel module is imported

from .metrics import CRITERIA, METRICS  # noqa: E402
from .model import CoordinationModel  # noqa: E402
from .parameters import PARAMETERS  # noqa: E402
from .validation import verdicts  # noqa: E402

__all__ = ["CRITERIA", "METRICS", "PARAMETERS", "CoordinationModel", "verdicts"]
__version__ = "0.1.0"
