"""``manifest.json``: what a results folder holds, and every invocation that wrote it, true at every moment.

``status`` is ``running`` from the moment a ``sim batch`` invocation takes the folder until it
ends, ``finished`` once the tables are rebuilt and verified, ``interrupted`` or ``failed`` when
it stopped early (a killed invocation leaves ``running``: its lock is gone, so
:func:`sim.experiments.batch.verify_results` tells the two apart).  ``invocations`` is append-only: each
one's start, end, status, runs it added, backend and code hash, so resuming never overwrites
the batch's provenance.
"""

from __future__ import annotations

import json
import platform
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from sim import __version__

from ..runner import write_atomic

DEPENDENCIES = ("mesa", "numba", "numpy", "pandas", "pyarrow", "pydantic", "scipy", "SALib", "dask", "distributed")
# true only once finished ("seeds": every run's seed, in manifests written before 0.2; now in the tables only)
FINAL_FIELDS = ("finished", "runs_finished", "runs_failed", "seeds", "adaptive_stops")


def now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")


def versions() -> dict[str, str]:
    found = {"sim": __version__, "python": platform.python_version()}
    for name in DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def read_manifest(root: Path) -> dict[str, Any] | None:
    """The folder's manifest, or None when it is missing or unreadable."""
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) else None


def write_manifest(root: Path, manifest: dict[str, Any]) -> None:
    write_atomic(root / "manifest.json", json.dumps(manifest, indent=2).encode())
