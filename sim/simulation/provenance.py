"""What code produced a result: one hash over the package's source and shipped data.

Two uses need the same answer.  Numba's on-disk cache checks only the source file
of the function it compiled, not the kernels it calls from other modules, so a
changed kernel could silently run stale machine code; :func:`use_numba_cache_for_this_code`
gives each version of the code its own cache folder.  Result folders record the
hash so that runs made by other code are never mixed in.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]  # sim/: the hash covers every layer and the shipped data
KERNELS = Path(__file__).resolve().parent  # numba caches the week kernel beside core.py when no folder is set


@cache
def code_hash() -> str:
    """SHA-256 over every ``sim/**/*.py`` and ``sim/data/*`` file (path and bytes), in path order."""
    digest = hashlib.sha256()
    files = sorted([*PACKAGE.rglob("*.py"), *(p for p in (PACKAGE / "data").iterdir() if p.is_file())])
    for path in files:
        digest.update(path.relative_to(PACKAGE).as_posix().encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def use_numba_cache_for_this_code() -> None:
    """Point numba's cache at a folder named after :func:`code_hash` and numba's version, unless the user chose one.

    The version is in the name because two environments (the default and the lowest-bounds install, say)
    share one home: numba overwrites another version's cache entries, so sharing a folder recompiles each time.
    Must run before any kernel is decorated (numba reads the setting then).
    """
    import numba

    if os.environ.get("NUMBA_CACHE_DIR"):
        return
    root = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "samordning-sim" / "numba"
    folder = root / f"{code_hash()[:16]}-numba{numba.__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return  # an unwritable home: numba falls back to its own default locations
    numba.config.CACHE_DIR = str(folder)


def kernels_cached() -> bool:
    """Whether numba's cache already holds the compiled week kernel of this code (a first run compiles it)."""
    import numba

    folder = Path(numba.config.CACHE_DIR or KERNELS / "__pycache__")
    return folder.is_dir() and any(folder.rglob("core.advance_weeks-*.nbi"))


def compile_kernels() -> float:
    """Compile (and cache), or load from the cache, every kernel by simulating one week; the seconds it took.

    Done in a batch's parent before its workers start: forked workers inherit the loaded kernels,
    instead of each compiling the same kernels at the same time, or loading them again for every
    batch of a search or a calibration.  Once loaded, it takes a millisecond.
    """
    import time

    from .model import CoordinationModel

    started = time.perf_counter()
    CoordinationModel("model2", rng=0).run_weeks(1)
    return time.perf_counter() - started
