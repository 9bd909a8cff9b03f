"""Scenario batches: models x measures x design points x replications, into result tables.

Every run has an identity (structure, measures, parameter point, replication); its ``run_id``
and seed derive from that identity and the scenario's base seed (:mod:`.specs`).  Runs execute
in supervised local worker processes or on a ``dask.distributed`` cluster (:mod:`.executors`),
with identical results on every backend.  The results folder never lies: one writer at a time
(:mod:`.lock`), every chunk committed atomically with its checksum (:mod:`.store`), runs of
another scenario or other code refused by a full fingerprint (:mod:`.fingerprint`), the tables
rebuilt together (:mod:`.tables`) and a manifest that says what is going on (:mod:`.manifest`).
A killed batch resumes with ``resume=True`` and runs only what is missing.
"""

from .errors import BatchConflict, EnvironmentFault, Interrupted, is_environment_fault
from .fingerprint import code_hash
from .run import run_batch
from .specs import RunSpec, plan, run_spec
from .tables import summarise
from .verify import verify_results
from .work import SERIES, execute

__all__ = ["SERIES", "BatchConflict", "EnvironmentFault", "Interrupted", "RunSpec", "code_hash", "execute",
           "is_environment_fault", "plan", "run_batch", "run_spec", "summarise", "verify_results"]
