"""Whether a results folder can be read as one finished batch: what ``sim report`` checks before it reads."""

from __future__ import annotations

from pathlib import Path

from .errors import BatchConflict
from .lock import FolderLock
from .manifest import read_manifest
from .store import ChunkStore
from .tables import table_problems


def verify_results(root: Path) -> None:
    """Raise :class:`BatchConflict` saying what is wrong unless ``root`` holds a finished batch that verifies.

    It must not be locked by a running batch, its manifest must say ``finished``, every
    committed chunk must match its checksum and every table the checksum the manifest recorded.
    """
    resume = f"run `sim batch SCENARIO --out {root} --resume` to finish or repair it"
    holder = FolderLock(root).holder()
    if holder is not None:
        raise BatchConflict(f"{root} is being written by a running `sim batch` ({holder}); it can be read once that "
                            "batch ends.")
    manifest = read_manifest(root)
    if manifest is None:
        raise BatchConflict(f"{root}/manifest.json is missing or unreadable; {resume}.")
    if manifest.get("status") == "finished" and "tables" not in manifest:
        raise BatchConflict(f"{root} was written by an older version of sim, which recorded no checksums of its "
                            f"tables; run `sim batch SCENARIO --out {root} --resume --rerun-stale` to rebuild it.")
    if manifest.get("status") != "finished":
        last = (manifest.get("invocations") or [{}])[-1]
        how = {"running": "was killed while it ran"}.get(str(manifest.get("status")), str(last.get("status", "")))
        raise BatchConflict(f"{root} holds a batch that has not finished (manifest status "
                            f"{manifest.get('status')!r}: its last invocation {how}); {resume}.")
    store = ChunkStore(root / ".chunks")
    store.load()
    problems = [f".chunks/{why}" for why in store.damaged().values()] + table_problems(root, manifest["tables"])
    if store.index_lost:
        problems.insert(0, ".chunks/index.json is missing or unreadable")
    if problems:
        raise BatchConflict(f"{root} does not verify ({'; '.join(problems[:5])}"
                            f"{f'; and {len(problems) - 5} more' if len(problems) > 5 else ''}); {resume}.")
