"""Workers of a ``--dask local`` cluster die with the ``sim`` process that started them, as local workers do.

Only for the cluster a batch starts itself: the workers of a shared cluster are not ours to end.
"""

from __future__ import annotations

import os
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from .worker import die_with_parent


class DieWithParent(WorkerPlugin):
    """Arm the parent-death signal and watchdog in each worker process of the cluster."""

    name = "sim-die-with-parent"

    def setup(self, worker: Any) -> None:
        die_with_parent(os.getppid())
