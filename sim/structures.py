"""Organisation models and measures, read from ``sim/data/structures.toml``.

The file declares structure only (arenas, members, mandate, decision rights, set-up
time, programme period, costs) and the arenas that exist today.  This module validates it and resolves actor codes;
:mod:`sim.world` compiles the result into arrays for the kernels.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .checks import shown
from .parameters import suggest

Channel = Literal["measure", "guidance", "grant"]
CHANNELS: tuple[str, ...] = ("measure", "guidance", "grant")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arena(_Strict):
    """A standing or time-bound cross-sector arena (group, board, core group, collaboration, programme)."""

    name: str
    members: tuple[str, ...] = Field(min_length=2)
    lead: str
    topology: Literal["plenary", "star"]
    mandate: bool
    decision_rights_from_week: int | Literal["mandate_change"] | None = Field(default=None)
    setup_weeks: int = Field(ge=0)
    period_weeks: int | None = Field(default=None, ge=1)
    renewed: bool = False
    meets_every_weeks: int = Field(ge=1)
    secretariat_py: float = Field(ge=0)
    knowledge_py: float = Field(ge=0)
    reference_group: tuple[str, ...] = ()
    municipal_reference: bool = False
    implemented_in_line: bool = False
    coordinates_field: bool = False
    source: str

    @model_validator(mode="after")
    def _consistent(self) -> Arena:
        if self.lead not in self.members:
            raise ValueError(f"arena {self.name!r}: lead {self.lead!r} must be one of its members")
        if isinstance(self.decision_rights_from_week, int) and self.decision_rights_from_week < 0:
            raise ValueError(f"arena {self.name!r}: decision_rights_from_week must be >= 0 or 'mandate_change'")
        if self.renewed and self.period_weeks is None:
            raise ValueError(f"arena {self.name!r}: renewed = true needs a period_weeks")
        return self


class Stream(_Strict):
    """Assignments a measure adds each year."""

    issuer: str
    lead: str
    per_year: int = Field(ge=1)
    channel: Channel
    arena: str | None = None


class OrganisationModel(_Strict):
    """One national organisation model."""

    title: str
    source: str
    issuer: str
    issuing_arena: str | None = None
    lead_agency: str
    joint_letters: tuple[str, ...] | Literal["arena"]
    arenas: tuple[Arena, ...] = ()

    @model_validator(mode="after")
    def _one_coordinating_arena(self) -> OrganisationModel:
        if sum(a.coordinates_field for a in self.arenas) > 1:
            raise ValueError(f"model {self.title!r}: at most one arena may coordinate the field")
        names = {a.name for a in self.arenas}
        if self.issuing_arena is not None and self.issuing_arena not in names:
            raise ValueError(f"issuing_arena {self.issuing_arena!r} is not one of the model's arenas {sorted(names)}")
        if self.joint_letters == "arena" and not any(a.coordinates_field for a in self.arenas):
            raise ValueError("joint_letters = 'arena' needs an arena with coordinates_field = true")
        return self


class Measure(_Strict):
    """A measure of seed 002 §5.4: a switch that combines with any model."""

    title: str
    source: str
    arenas: tuple[Arena, ...] = ()
    streams: tuple[Stream, ...] = ()


class Today(_Strict):
    """The cross-sector arenas that exist today; every model has them unless it redeclares one by name."""

    arenas: tuple[Arena, ...]


class Catalogue(_Strict):
    """Everything in ``structures.toml``."""

    today: Today
    models: dict[str, OrganisationModel]
    measures: dict[str, Measure]


def arenas_of(model: OrganisationModel, measures: tuple[str, ...]) -> list[Arena]:
    """The arenas a simulated organisation has: the model's, the measures', then today's not redeclared.

    A later declaration of an arena name already taken is an error, except that a
    model or measure may redeclare one of today's arenas (it then replaces it).
    """
    cat = catalogue()
    own = list(model.arenas) + [a for m in measures for a in cat.measures[m].arenas]
    names = [a.name for a in own]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"arena {name!r} is declared twice (model and measures must name arenas uniquely).")
    return own + [a for a in cat.today.arenas if a.name not in names]


def todays_arena_names() -> frozenset[str]:
    """Names of the arenas that exist today: the reference for "use of existing structures"."""
    return frozenset(a.name for a in catalogue().today.arenas)


@cache
def catalogue() -> Catalogue:
    """The shipped organisation models and measures, validated once per process."""
    text = resources.files("sim.data").joinpath("structures.toml").read_text(encoding="utf-8")
    return Catalogue.model_validate(tomllib.loads(text))


def check_structure(structure: str | OrganisationModel) -> OrganisationModel:
    """The named model (or a user-built one, passed through), or a ValueError that lists the allowed names."""
    if isinstance(structure, OrganisationModel):
        return structure
    models = catalogue().models
    if not isinstance(structure, str) or structure not in models:
        raise ValueError(f"structure {shown(structure)} is not an organisation model.{suggest(str(structure), models)} "
                         f"Allowed: {', '.join(models)}.")
    return models[structure]


def check_measures(measures: object) -> tuple[str, ...]:
    """Measures as a sorted tuple without repeats, or a ValueError naming the bad one."""
    if isinstance(measures, str):
        measures = (measures,) if measures else ()
    if not isinstance(measures, list | tuple | set | frozenset):
        raise ValueError(f"measures must be a list of measure names, got {shown(measures)}.")
    known = catalogue().measures
    for m in measures:
        if not isinstance(m, str) or m not in known:
            raise ValueError(f"measures: {shown(m)} is not a measure.{suggest(str(m), known)} Allowed: {', '.join(known)}.")
    return tuple(sorted(set(measures)))
