"""Organisation models and measures, read from ``sim/data/structures.toml``.

The file declares structure only (arenas, members, mandate, decision rights, set-up
time, programme period, costs) and the arenas that exist today.  This module validates it and resolves
actor codes; :mod:`sim.simulation.world` compiles the result into arrays for the kernels.

Not to be confused with :mod:`sim.simulation.structs` (the world and state arrays as numba
structs) or :mod:`sim.experiments.structural` (the fields of a declared structure a design varies).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .checks import shown
from .parameters import suggest

Channel = Literal["measure", "guidance", "grant"]
# who staffs an arena's secretariat and knowledge function: the lead from its own capacity (000 model 1: "knyttet til
# eksisterende miljøer og funksjoner i Helsedirektoratet"), the members from theirs (000 model 3: "forutsetter at
# etatene gir flere ressurser inn i etatssamarbeidet"), or staff paid for anew (000 model 2: "Oppdragsfinansering av
# programmets koordinerings- og sekretariatsfunksjon")
Staffing = Literal["lead", "members", "dedicated"]
STAFFING: tuple[str, ...] = Staffing.__args__
CHANNELS: tuple[str, ...] = ("measure", "guidance", "grant")
# rules of seed 002 §5.4 that a measure switches on (each is one rule of the kernels, for any model)
Rule = Literal["identical_assignments", "state_support", "outreach", "rer_contact_point", "programme_financing"]
RULES: tuple[str, ...] = Rule.__args__


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Arena(_Strict):
    """A standing or time-bound cross-sector arena (group, board, core group, collaboration, programme)."""

    name: str
    members: tuple[str, ...] = Field(min_length=2)
    lead: str
    topology: Literal["plenary", "star"]
    mandate: bool | Literal["mandate_change"]
    decision_rights_from_week: int | Literal["mandate_change"] | None = Field(default=None)
    setup_weeks: int = Field(ge=0)
    period_weeks: int | None = Field(default=None, ge=1)
    renewed: bool = False
    meets_every_weeks: int = Field(ge=1)
    secretariat_py: float = Field(ge=0)
    knowledge_py: float = Field(ge=0)
    staffing: Staffing = "lead"
    coordinating_responsibility: float = Field(default=0.0, ge=0.0, le=1.0)
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
    issuer_responsibility: float = Field(default=0.0, ge=0.0, le=1.0)
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
    """A measure of seed 002 §5.4, combinable with any model: rules it switches on, arenas and streams it adds."""

    title: str
    source: str
    rules: tuple[Rule, ...] = ()
    arenas: tuple[Arena, ...] = ()
    streams: tuple[Stream, ...] = ()
    # money the measure spends a year beyond the actors' time (grants, allocations); the time its arenas and streams
    # take is counted in person-years by the model itself (cost_person_years)
    budget_nok: float = Field(default=0.0, ge=0.0, le=1e11, allow_inf_nan=False)
    budget_source: str = ""  # the seed and section, or "assumption: ..." (docs/ODD.md, Costs)

    @model_validator(mode="after")
    def _budget_has_a_source(self) -> Measure:
        if self.budget_nok > 0 and not self.budget_source.strip():
            raise ValueError(f"measure {self.title!r}: budget_nok = {self.budget_nok:g} needs a budget_source (the seed "
                             "and section it rests on, or 'assumption: ...')")
        return self


class Today(_Strict):
    """The cross-sector arenas that exist today; every model has them unless it redeclares one by name."""

    arenas: tuple[Arena, ...]


class Catalogue(_Strict):
    """Everything in ``structures.toml``."""

    today: Today
    models: dict[str, OrganisationModel]
    measures: dict[str, Measure]


def budget_nok(measures: Mapping[str, Measure]) -> float:
    """The money a set of measures spends a year (NOK), beyond the actors' time."""
    return float(sum(m.budget_nok for m in measures.values()))


def arenas_of(model: OrganisationModel, measures: Mapping[str, Measure]) -> list[Arena]:
    """The arenas a simulated organisation has: the model's, the measures', then today's not redeclared.

    A later declaration of an arena name already taken is an error, except that a
    model or measure may redeclare one of today's arenas (it then replaces it).
    """
    cat = catalogue()
    own = list(model.arenas) + [a for m in measures.values() for a in m.arenas]
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


def declare(name: str, declaration: dict[str, Any], known: Mapping[str, OrganisationModel]) -> OrganisationModel:
    """An organisation model declared in a scenario file, as in ``structures.toml`` or derived from a known one.

    ``extends = "model2"`` starts from that model (shipped, or declared earlier in the
    file); the other keys override its fields (``arenas`` replaces the whole list,
    ``add_arenas`` appends to it), and
    ``arena."<name>"`` tables override one arena's fields, with ``add_members`` and
    ``remove_members`` to change who sits in it.  An arena that exists today may be
    changed too: the model then declares its own version of it.  Raises ValueError naming the field.
    """
    model = _derive(f"models.{name}", name, declaration, known, OrganisationModel)
    check_codes(model, f"models.{name}")
    return model


def declare_measure(name: str, declaration: dict[str, Any], known: Mapping[str, Measure]) -> Measure:
    """A measure declared in a scenario file: as in ``structures.toml``, or ``extends`` a known one (as models do)."""
    measure = _derive(f"declared_measures.{name}", name, declaration, known, Measure)
    check_codes(measure, f"declared_measures.{name}")
    return measure


def _derive(where: str, name: str, declaration: dict[str, Any], known: Mapping[str, Any], kind: type[_Strict]) -> Any:
    """A model or measure from its declaration, which may extend a known one and change its arenas."""
    if not isinstance(declaration, dict):
        raise ValueError(f"{where} must be a table of fields, got {shown(declaration)}.")
    decl = dict(declaration)
    base_name = decl.pop("extends", None)
    edits = decl.pop("arena", {})
    added = decl.pop("add_arenas", None)
    data: dict[str, Any] = {}
    if base_name is not None:
        if not isinstance(base_name, str) or base_name not in known:
            raise ValueError(f"{where}.extends: {shown(base_name)} is not known.{suggest(str(base_name), known)} "
                             f"Allowed: {', '.join(known)}.")
        data = known[base_name].model_dump()
        data["title"] = f"{data['title']} (variant {name})"
    data.update(decl)
    if not isinstance(edits, dict):
        raise ValueError(f"{where}.arena must be a table of arena name -> changes, got {shown(edits)}.")
    arenas = [dict(a) if isinstance(a, dict) else a for a in data.get("arenas", [])]
    if added is not None:
        arenas += _added_arenas(where, base_name, "arenas" in decl, added, arenas)
    for arena_name, change in edits.items():
        arenas = edit_arena(arenas, arena_name, change, f"{where}.arena.{arena_name!r}")
    if arenas:
        data["arenas"] = arenas
    return validated(kind, data, where)


def _added_arenas(where: str, base_name: str | None, replaced: bool, added: Any,
                  arenas: list[Any]) -> list[dict[str, Any]]:
    """``add_arenas``: arenas appended to those of the model extended, or a ValueError saying how to declare them."""
    if base_name is None:
        raise ValueError(f"{where}.add_arenas adds arenas to those of the model it extends, and this declaration "
                         "extends none: add extends = \"<model>\", or list every arena in arenas = [...].")
    if replaced:
        raise ValueError(f"{where}: give arenas (which replaces {base_name}'s arenas) or add_arenas (which keeps them "
                         "and adds these), not both.")
    if not isinstance(added, list) or not all(isinstance(a, dict) for a in added):
        raise ValueError(f"{where}.add_arenas must be a list of arena tables ([[...add_arenas]]), got {shown(added)}.")
    have = [a.get("name") if isinstance(a, dict) else getattr(a, "name", None) for a in arenas]
    for k, arena in enumerate(added):
        if arena.get("name") in have:
            raise ValueError(f"{where}.add_arenas.{k}: {base_name} already has the arena {arena['name']!r}; change "
                             f"it with [{where}.arena.\"{arena['name']}\"] instead.")
        have.append(arena.get("name"))
    return [dict(a) for a in added]


def validated(kind: type[_Strict], data: dict[str, Any], where: str) -> Any:
    """``data`` validated as a model or measure; a ValueError names the field under ``where``."""
    try:
        return kind.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        raise ValueError(f"{where}{'.' + loc if loc else ''}: {msg} (got {shown(err.get('input'))}).") from None


def edit_arena(arenas: list[dict[str, Any]], arena_name: str, change: Any, where: str) -> list[dict[str, Any]]:
    """``arenas`` (as dicts) with one arena's fields changed; one of today's arenas is copied in first.

    ``add_members`` and ``remove_members`` change who sits in it; other keys replace fields.
    """
    names = [a.get("name") for a in arenas]
    today = {a.name: a for a in catalogue().today.arenas}
    if arena_name not in names and arena_name in today:
        arenas = [*arenas, today[arena_name].model_dump()]
        names.append(arena_name)
    if arena_name not in names:
        choices = [*names, *(n for n in today if n not in names)]
        raise ValueError(f"{where}: no arena {shown(arena_name)} to change.{suggest(str(arena_name), choices)} "
                         f"Arenas: {', '.join(map(str, choices))}.")
    if not isinstance(change, dict):
        raise ValueError(f"{where} must be a table of field changes, got {shown(change)}.")
    arenas = list(arenas)
    arena = dict(arenas[names.index(arena_name)])
    change = dict(change)
    members = list(arena.get("members", ()))
    for code in _codes(change.pop("remove_members", []), f"{where}.remove_members"):
        if code not in members:
            raise ValueError(f"{where}.remove_members: {code!r} is not a member; members: {', '.join(members)}.")
        members.remove(code)
    members += [c for c in _codes(change.pop("add_members", []), f"{where}.add_members") if c not in members]
    arena.update(members=tuple(members))
    arena.update(change)
    arenas[names.index(arena_name)] = arena
    return arenas


def check_codes(declared: OrganisationModel | Measure, where: str) -> None:
    """Every actor code a declared model or measure names exists in the actor data (before any run starts)."""
    from .datasets import load_actors

    actors = load_actors()
    codes = {*actors.ministries["code"], *actors.directorates["code"], *actors.regional_offices["code"]}
    named: list[tuple[str, str]] = []
    if isinstance(declared, OrganisationModel):
        named += [("issuer", declared.issuer), ("lead_agency", declared.lead_agency)]
        named += [("joint_letters", c) for c in (() if declared.joint_letters == "arena" else declared.joint_letters)]
    else:
        for k, stream in enumerate(declared.streams):
            named += [(f"streams.{k}.issuer", stream.issuer), (f"streams.{k}.lead", stream.lead)]
    for k, arena in enumerate(declared.arenas):
        named += [(f"arenas.{k}.members", c) for c in arena.members]
        named += [(f"arenas.{k}.reference_group", c) for c in arena.reference_group]
    for field, code in named:
        if code not in codes:
            raise ValueError(f"{where}.{field}: unknown actor code {shown(code)}.{suggest(code, codes)} "
                             "Codes: the ministries, directorates and regional offices of docs/DATA.md.")


def _codes(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ValueError(f"{where} must be a list of actor codes, got {shown(value)}.")
    return value


def check_structure(structure: str | OrganisationModel) -> OrganisationModel:
    """The named model (or a user-built one, passed through), or a ValueError that lists the allowed names."""
    if isinstance(structure, OrganisationModel):
        return structure
    models = catalogue().models
    if not isinstance(structure, str) or structure not in models:
        raise ValueError(f"structure {shown(structure)} is not an organisation model.{suggest(str(structure), models)} "
                         f"Allowed: {', '.join(models)}.")
    return models[structure]


def check_measures(measures: object, declared: Mapping[str, Measure] | None = None) -> dict[str, Measure]:
    """Measures by name, sorted and without repeats, or a ValueError naming the bad one.

    ``measures`` is a list of names (shipped, or in ``declared``), or a mapping of
    name -> :class:`Measure` (measures built in code, as a scenario's declared ones are).
    """
    if isinstance(measures, Mapping):
        for name, m in measures.items():
            if not isinstance(name, str) or not isinstance(m, Measure):
                raise ValueError(f"measures: a mapping must give each measure name a Measure, got {shown(name)}: "
                                 f"{shown(m)}.")
        return dict(sorted(measures.items()))
    if isinstance(measures, str):
        measures = (measures,) if measures else ()
    if not isinstance(measures, list | tuple | set | frozenset):
        raise ValueError(f"measures must be a list of measure names, got {shown(measures)}.")
    known = {**catalogue().measures, **(declared or {})}
    for m in measures:
        if not isinstance(m, str) or m not in known:
            raise ValueError(f"measures: {shown(m)} is not a measure.{suggest(str(m), known)} Allowed: {', '.join(known)}.")
    return {m: known[m] for m in sorted(set(measures))}
