"""Shared pieces of the batch fault-injection tests: tiny scenarios, damage, polling, process trees."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from sim.experiments.batch.store import ChunkStore

TINY = {"name": "tiny", "structures": ["baseline", "model2"], "measures": [[], ["outreach"]], "weeks": 30,
        "replications": 2, "seed": 11}


def toml(path: Path, **fields: object) -> Path:
    """Write a scenario file (top-level dicts become tables, deeper ones inline tables) and return its path."""
    def value(v: object) -> str:
        if isinstance(v, dict):
            return "{" + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + "}"
        if isinstance(v, str):
            return f'"{v}"'
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return repr(v)

    lines = [f"{k} = {value(v)}" for k, v in fields.items() if not isinstance(v, dict)]
    for k, table in fields.items():
        if isinstance(table, dict):
            lines += [f"[{k}]", *(f"{key} = {value(v)}" for key, v in table.items())]
    path.write_text("\n".join(lines) + "\n")
    return path


def sim(*args: object) -> list[str]:
    """The command line of ``sim`` in this interpreter."""
    return [sys.executable, "-m", "sim.cli", *map(str, args)]


def poll(condition: Callable[[], bool], tries: int = 1200, interval: float = 0.05) -> bool:
    """Look up to ``tries`` times whether ``condition`` holds (no wall-clock limit, a bounded count)."""
    for _ in range(tries):
        if condition():
            return True
        time.sleep(interval)
    return condition()


def committed(folder: Path) -> int:
    """Chunks the folder's index (snapshot and journal) commits, 0 while there is none."""
    store = ChunkStore(folder / ".chunks")
    store.load()
    return len(store.chunks)


def committed_runs(folder: Path) -> int:
    """Runs in the chunks the index commits: a chunk file not yet committed (a kill came first) is redone."""
    store = ChunkStore(folder / ".chunks")
    store.load()
    return store.rows(list(store.chunks))


def flip(path: Path, count: int = 64) -> None:
    """Flip ``count`` bytes in the middle of a file, as a failing disk or a stray write would."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    for k in range(middle, middle + count):
        data[k] ^= 0xFF
    path.write_bytes(bytes(data))


def descendants(pid: int) -> list[int]:
    try:
        return [p.pid for p in psutil.Process(pid).children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def gone(pids: list[int]) -> bool:
    """Every one of ``pids`` has ended (a zombie awaiting its reaper counts as ended)."""
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            pass
    return True


def reap(pids: list[int]) -> None:
    """Kill what a failed test left running of the processes it started (by PID, nothing else)."""
    for pid in pids:
        try:
            psutil.Process(pid).kill()
        except psutil.NoSuchProcess:
            pass
