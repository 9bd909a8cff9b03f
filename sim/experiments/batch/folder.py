"""A results folder: locked for one writer, verified before it is used, never a mixture.

Opening a folder for a batch takes its lock, verifies every committed chunk against the index,
and refuses (exit 2, nothing changed) a folder whose runs were made by another scenario or other
code, or, without ``resume``, one that already holds results.  Only then does it repair what
verification found (damaged chunks, files a kill left uncommitted, temporary files), so their
runs are recomputed, and mark the manifest ``running``.
"""

from __future__ import annotations

import hashlib
import os
import socket
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from ..runner import check_writable, claim_folder
from ..scenario import Scenario
from .errors import BatchConflict
from .fingerprint import PLAN_FIELDS, differences, digest, fingerprint
from .lock import FolderLock
from .manifest import FINAL_FIELDS, now, read_manifest, versions, write_manifest
from .specs import FinishedRuns, PlanIndex, RunSpec
from .store import ChunkStore, Written, embedded_fingerprint, write_chunk
from .tables import write_tables
from .work import Outcome


class ResultFolder:
    """The output folder of one batch invocation, from :meth:`open` to :meth:`finish` or :meth:`stop`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.store = ChunkStore(root / ".chunks")
        self.lock = FolderLock(root)
        self.finished = FinishedRuns()  # run ids of the committed runs made with this fingerprint
        self.manifest: dict[str, Any] = {}
        self.notes: list[str] = []  # what opening found and repaired, for the caller to print
        self._key = ""
        self._fingerprint: dict[str, Any] = {}
        self._damaged: dict[str, str] = {}  # what verification found, kept from checking to repairing
        self._orphans: list[Path] = []
        self._stale: list[str] = []

    # --- opening ---
    def open(self, scenario: Scenario, *, resume: bool, rerun_stale: bool, backend: str, workers: int,
             scenario_text: str | None = None) -> None:
        """Take the folder for this batch, or raise :class:`BatchConflict` having changed nothing in it."""
        if (self.root / "steps.parquet").is_file():
            raise BatchConflict(f"{self.root} holds a single run from `sim run` (steps.parquet is a file); "
                                "a batch needs its own folder. Choose another --out.")
        claim_folder(self.root)
        check_writable(self.root)
        self.lock.acquire()
        try:
            self._check(scenario, resume=resume, rerun_stale=rerun_stale)
            self._repair()
            self._begin(scenario, scenario_text or scenario.model_dump_json(), resume=resume, rerun_stale=rerun_stale,
                        backend=backend, workers=workers)
        except BaseException:
            self.lock.release()
            raise

    def _check(self, scenario: Scenario, *, resume: bool, rerun_stale: bool) -> None:
        self._fingerprint = fingerprint(scenario)
        self._key = digest(self._fingerprint)
        self.manifest = read_manifest(self.root) or {}
        self.store.load()
        self._damaged = self.store.damaged()
        self._orphans = self.store.orphans()
        intact = [c for c in self.store.chunks if c not in self._damaged]
        held = {self.store.chunks[c]["fingerprint"]: self.store.fingerprints[self.store.chunks[c]["fingerprint"]]
                for c in intact}
        for found in [self.manifest.get("fingerprint"), *map(embedded_fingerprint, self._orphans)]:
            if found:
                held[digest(found)] = found
        stale = {key: found for key, found in held.items() if key != self._key}
        if stale and not rerun_stale:
            changes = sorted({change for found in stale.values() for change in differences(found, self._fingerprint)})
            raise BatchConflict(
                f"{self.root} holds runs of another scenario or of other code, whose results would differ from this "
                f"batch's ({'; '.join(changes)}); they cannot be mixed with it. Choose another --out, or run with "
                "--resume --rerun-stale to recompute them here with this scenario and code.")
        if (self.store.chunks or self._orphans) and not resume:
            ours = [c for c in intact if self.store.chunks[c]["fingerprint"] == self._key]
            plan = differences(_plan_fields(self.manifest.get("scenario", {})),
                               _plan_fields(scenario.model_dump(mode="json"))) if self.manifest else []
            differs = f" (this scenario differs in {'; '.join(plan)})" if plan else ""
            raise BatchConflict(
                f"{self.root} already holds {self.store.rows(ours)} finished runs of the scenario "
                f"{self.manifest.get('scenario', {}).get('name', '?')!r}{differs}. Use --resume to continue it or "
                "extend it to this scenario's plan (finished runs are reused; runs not in the plan stay saved but "
                "leave the tables), or choose another --out.")
        self._stale = [c for c in intact if self.store.chunks[c]["fingerprint"] != self._key]

    def _repair(self) -> None:
        """Remove what cannot be trusted, so its runs are recomputed; say what was done."""
        store = self.store
        if self._damaged:
            detail = "; ".join(f"{c}: {why}" for c, why in self._damaged.items())
            self.notes.append(f"{len(self._damaged)} damaged chunks removed, their {store.rows(list(self._damaged))} "
                              f"runs are recomputed ({detail})")
        if self._stale:
            self.notes.append(f"{len(self._stale)} chunks of another scenario or code removed (--rerun-stale), their "
                              f"{store.rows(self._stale)} runs are recomputed")
        if self._orphans:
            self.notes.append(f"{len(self._orphans)} chunk files the index does not list (saved by a batch stopped "
                              "before committing them) removed, their runs are recomputed")
        if store.index_lost:
            self.notes.append(f"{store.path} was missing or unreadable: no saved chunk can be verified")
        if not self.manifest and (store.chunks or self._orphans):
            self.notes.append("manifest.json was missing or unreadable: rebuilt; earlier invocations are unknown")
        for folder in (self.root, store.dir, self.root / "steps.parquet"):
            for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
                tmp.unlink()
        store.dir.mkdir(exist_ok=True)
        store.remove([*self._damaged, *self._stale])
        for orphan in self._orphans:
            orphan.unlink()
        store.save()
        for frame in store.read(list(store.chunks), "runs", columns=["run_id"]):
            self.finished.update(frame["run_id"])

    def _begin(self, scenario: Scenario, text: str, *, resume: bool, rerun_stale: bool, backend: str,
               workers: int) -> None:
        manifest = {k: v for k, v in self.manifest.items() if k not in FINAL_FIELDS}
        manifest.update(status="running", scenario=scenario.model_dump(mode="json"),
                        scenario_sha256=hashlib.sha256(text.encode()).hexdigest(),
                        fingerprint=self._fingerprint, versions=versions(), backend=backend, workers=workers)
        manifest.setdefault("started", now())
        manifest.setdefault("invocations", []).append({
            "started": now(), "ended": None, "status": "running", "pid": os.getpid(), "host": socket.gethostname(),
            "command": " ".join(sys.argv), "resume": resume, "rerun_stale": rerun_stale, "backend": backend,
            "workers": workers, "version": self._fingerprint["version"], "code": self._fingerprint["code"],
            "runs_saved_before": len(self.finished), "runs_new": 0, "failures_new": 0, "repairs": self.notes})
        self.manifest = manifest
        write_manifest(self.root, manifest)

    # --- while running ---
    def commit(self, result: Outcome | Written) -> None:
        """Save one outcome as a chunk (or commit one a worker wrote); its runs count as finished from here on."""
        written = result if isinstance(result, Written) else write_chunk(self.store.dir, result, self._fingerprint)
        self.store.register(written, self._fingerprint, self._key)
        self.finished.update(written.run_ids)
        self.invocation["runs_new"] += len(written.run_ids)
        self.invocation["failures_new"] += written.failures

    def destination(self) -> tuple[str, dict[str, Any]]:
        """Where a Dask worker writes its chunks (an absolute path) and the fingerprint they carry."""
        return str(self.store.dir.resolve()), self._fingerprint

    @property
    def invocation(self) -> dict[str, Any]:
        return self.manifest["invocations"][-1]

    def runs(self) -> pd.DataFrame:
        """Every committed run, whatever the plan (for the adaptive rule)."""
        frames = self.store.read(sorted(self.store.chunks), "runs")
        return pd.concat(frames, ignore_index=True).drop_duplicates("run_id") if frames else pd.DataFrame()

    # --- ending ---
    def finish(self, scenario: Scenario, specs: Iterable[RunSpec], stops: dict[tuple, str]) -> pd.DataFrame:
        """Rebuild the tables for the planned runs ``specs`` from the chunks, then mark the manifest finished.

        The manifest records the tables' checksums; every run's seed is in ``runs.parquet`` or
        ``failures.parquet``, so the manifest stays small however many runs there are.
        """
        planned = PlanIndex.of(specs)
        self.store.save()  # the journal folded into index.json: a folder at rest holds one index file
        runs, failures, record = write_tables(self.root, self.store, sorted(self.store.chunks), scenario, planned,
                                              self.manifest)
        self.manifest.update(
            status="finished", finished=now(), runs_planned=len(planned), runs_finished=len(runs),
            runs_failed=len(failures),
            adaptive_stops={"|".join([k[0], ",".join(k[1]), str(k[2])]): v for k, v in stops.items()}, tables=record)
        self.invocation.update(ended=now(), status="finished")
        write_manifest(self.root, self.manifest)
        return runs

    def stop(self, status: str) -> None:
        """Record that this invocation ended early (best effort: the disk may be what stopped it)."""
        self.manifest["status"] = "interrupted" if status.startswith("interrupted") else "failed"
        self.invocation.update(ended=now(), status=status)
        try:
            write_manifest(self.root, self.manifest)
        except OSError:
            pass

    def close(self) -> None:
        self.lock.release()


def _plan_fields(dump: dict[str, Any]) -> dict[str, Any]:
    return {k: dump.get(k) for k in PLAN_FIELDS}
