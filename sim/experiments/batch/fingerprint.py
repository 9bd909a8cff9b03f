"""What determines a run's result beyond its identity, so a results folder never mixes runs that differ in it.

The fingerprint is generic: the whole resolved scenario (less :data:`OPEN_FIELDS`), the contents
of the municipality file it names, the package version and one hash of the model's code and
shipped data.  A field added to the scenario is covered without an edit here; only a field that
picks *which* runs a batch has (and is part of each run's identity) or how they are executed
belongs in :data:`OPEN_FIELDS`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sim import __version__
from sim.simulation.datasets import DATASETS
from sim.simulation.provenance import code_hash

from ..scenario import Scenario

# fields that choose which runs a batch has (each run's identity carries what they select)
PLAN_FIELDS = ("structures", "measures", "replications", "design", "search")  # a search picks its runs
# fields that may differ between invocations into one folder (which is how a batch is extended): the plan, labels,
# and how runs are executed, never what decides a run's result
OPEN_FIELDS = ("name", "description", "output", "run_time_limit", "structure_file", "cluster", *PLAN_FIELDS)  # the file: its contents are in models


def fingerprint(scenario: Scenario) -> dict[str, Any]:
    """Everything but a run's identity that decides its result; runs mix in one folder only if this is equal."""
    resolved = {k: v for k, v in scenario.model_dump(mode="json").items() if k not in OPEN_FIELDS}
    if scenario.municipalities not in DATASETS:  # the file's contents decide, not where it lies (a dataset: the code hash)
        resolved["municipalities"] = "sha256:" + hashlib.sha256(Path(scenario.municipalities).read_bytes()).hexdigest()
    return {"scenario": resolved, "version": __version__, "code": code_hash()}


def digest(value: dict[str, Any]) -> str:
    """A short stable name for a fingerprint (the first 16 hex digits of the SHA-256 of its sorted JSON)."""
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()[:16]


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """``key: old -> new`` for every leaf that differs between two dumps, keys dotted (``parameters.turnover_rate``)."""
    flat_old, flat_new = _flatten(old), _flatten(new)
    changed = sorted(k for k in flat_old.keys() | flat_new.keys()
                     if flat_old.get(k, _ABSENT) != flat_new.get(k, _ABSENT))
    return [f"{key.removeprefix('scenario.')}: {_show(flat_old, key)} -> {_show(flat_new, key)}" for key in changed]


_ABSENT = object()


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(value, dict):
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, item in value.items():
        out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    return out


def _show(flat: dict[str, Any], key: str) -> str:
    if key not in flat:
        return "(absent)"
    value = flat[key]
    if isinstance(value, str) and len(value) == 64 and set(value) <= set("0123456789abcdef"):
        return value[:12] + "…"  # a SHA-256: its start tells two apart
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:79] + "…"
