"""Structural factors: the fields of an organisation model that a design or a search may vary.

A factor is named like the field it changes: ``issuer``, ``lead_agency``, ``issuing_arena`` and
``joint_letters`` for the model; ``arena.<NAME>.<field>`` for one arena (one of today's arenas is
copied into the model first, as a declaration would); ``field_arena.<field>`` for the arena that
coordinates the field, whatever it is called, so that one factor applies to models 1, 2 and 3
alike.  A changed structure is validated exactly as a declared one
(:mod:`sim.simulation.structures`, where organisation models are declared), so a design can
never run a structure that a scenario file could not declare.  (:mod:`sim.simulation.structs` is
unrelated: the kernels' numba structs.)
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pandas as pd

from sim.simulation.checks import shown
from sim.simulation.parameters import suggest
from sim.simulation.structures import OrganisationModel, catalogue, check_codes, edit_arena, validated

MODEL_FIELDS: tuple[str, ...] = ("issuer", "lead_agency", "issuing_arena", "joint_letters")
ARENA_FIELDS: tuple[str, ...] = ("members", "lead", "topology", "mandate", "decision_rights_from_week", "setup_weeks",
                                 "period_weeks", "renewed", "meets_every_weeks", "secretariat_py", "knowledge_py",
                                 "staffing", "coordinating_responsibility", "reference_group", "municipal_reference",
                                 "implemented_in_line")
# the numeric fields, which ranges (Latin hypercube, Sobol', Morris) may span; integers are rounded
NUMERIC: dict[str, type] = {"setup_weeks": int, "period_weeks": int, "meets_every_weeks": int,
                            "decision_rights_from_week": int, "secretariat_py": float, "knowledge_py": float,
                            "coordinating_responsibility": float}
FIELD_ARENA = "field_arena"


def is_structural(name: str) -> bool:
    """Whether a design factor names a structural field (rather than a behavioural parameter)."""
    return name in MODEL_FIELDS or name.startswith(("arena.", f"{FIELD_ARENA}."))


def field_of(name: str) -> str:
    """The model or arena field a factor changes."""
    return name if name in MODEL_FIELDS else name.rsplit(".", 1)[-1]


def check_factor(name: str) -> None:
    """A ValueError unless ``name`` is a well-formed structural factor."""
    if name in MODEL_FIELDS:
        return
    head, _, rest = name.partition(".")
    arena, _, field = rest.rpartition(".") if head == "arena" else ("", "", rest)
    if head == "arena" and not arena:
        raise ValueError(f"structural factor {shown(name)} must be 'arena.<arena name>.<field>'.")
    if field not in ARENA_FIELDS:
        raise ValueError(f"structural factor {shown(name)}: {shown(field)} is not an arena field a design may vary."
                         f"{suggest(field, ARENA_FIELDS)} Allowed: {', '.join(ARENA_FIELDS)}.")


def numeric_type(name: str) -> type | None:
    """``int`` or ``float`` for a factor a range may span; ``None`` for a choice-only one."""
    return None if name in MODEL_FIELDS else NUMERIC.get(field_of(name))


def typed(name: str, value: Any) -> Any:
    """A factor's value as the structure holds it: integers rounded, lists as tuples (hashable, stable identity)."""
    kind = numeric_type(name)
    if kind is int and isinstance(value, float):
        return round(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def recorded(value: Any) -> Any:
    """A factor's value as a table column holds it: lists of codes joined by ',', no value as 'none'."""
    if value is None:
        return "none"
    if isinstance(value, list | tuple):
        return ",".join(map(str, value))
    return value


def as_column(name: str, column: pd.Series) -> pd.Series:
    """A factor's recorded values as one typed column: the field's number type, bool, or text where mixed."""
    values = column.tolist()
    if all(isinstance(v, bool) for v in values):
        return column.astype(bool)
    kind = numeric_type(name)
    if kind is not None and all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return column.astype("int64" if kind is int else "float64")
    return column.map(str)


def _arena_name(model: OrganisationModel, name: str) -> str:
    if name.startswith(f"{FIELD_ARENA}."):
        coordinating = [a.name for a in model.arenas if a.coordinates_field]
        if not coordinating:
            raise ValueError(f"{shown(name)}: {shown(model.title)} has no arena that coordinates the field "
                             "(field_arena needs one with coordinates_field = true).")
        return coordinating[0]
    return name[len("arena."):].rpartition(".")[0]


def value_of(model: OrganisationModel, name: str) -> Any:
    """The value a structure has for a factor (what a run that does not vary it simulates)."""
    if name in MODEL_FIELDS:
        return getattr(model, name)
    arena = _arena_name(model, name)
    found = {a.name: a for a in catalogue().today.arenas} | {a.name: a for a in model.arenas}
    if arena not in found:
        raise ValueError(f"{shown(name)}: {shown(model.title)} has no arena {shown(arena)}.")
    return getattr(found[arena], field_of(name))


def changed(model: OrganisationModel, changes: dict[str, Any]) -> OrganisationModel:
    """``model`` with the structural ``changes`` (factor -> value); a ValueError names the factor."""
    if not changes:
        return model
    return _changed(model, json.dumps(sorted(changes.items())))


@functools.lru_cache(maxsize=4096)
def _changed(model: OrganisationModel, changes: str) -> OrganisationModel:
    """Cached on the (frozen, hashable) model and the changes' JSON: every replication of a structure asks."""
    data = model.model_dump()
    arenas: list[dict[str, Any]] = [dict(a) for a in data["arenas"]]
    for name, value in json.loads(changes):
        check_factor(name)
        if name in MODEL_FIELDS:
            data[name] = value
            continue
        field = field_of(name)
        arena = _arena_name(model, name)
        arenas = edit_arena(arenas, arena, {field: value}, name)
    data["arenas"] = arenas
    result = validated(OrganisationModel, data, "structural change")
    check_codes(result, "structural change")
    return result
