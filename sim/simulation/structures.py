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

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, model_validator

from .checks import MAX_COUNT, shown
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


MAX_PY = 1000.0  # person-years an arena's secretariat or knowledge function may have (far above any real one)
MAX_PER_YEAR = 1000  # assignments one measure's stream may add a year
MAX_BUDGET_NOK = 1e11  # NOK a year one measure may spend (far above the whole field's budgets)


def _share(default: float | None = None) -> Any:
    """A share in [0, 1]: a finite number (never a bool or a string)."""
    return Field(ge=0.0, le=1.0, strict=True, allow_inf_nan=False, **({} if default is None else {"default": default}))


def _py() -> Any:
    """Person-years in [0, MAX_PY]: a finite number (never a bool or a string)."""
    return Field(ge=0.0, le=MAX_PY, strict=True, allow_inf_nan=False)


def shortened(items: list[Any], most: int = 5) -> str:
    """The first ``most`` items, each shortened, and how many more there are."""
    text = ", ".join(shown(i) for i in items[:most])
    return text + (f" and {len(items) - most:,} more" if len(items) > most else "")


def _once(codes: tuple[str, ...], what: str) -> None:
    twice = sorted({c for c in codes if codes.count(c) > 1}) if len(set(codes)) < len(codes) else []
    if twice:
        raise ValueError(f"{what} names {shortened(twice)} more than once; name each actor once")


class Arena(_Strict):
    """A standing or time-bound cross-sector arena (group, board, core group, collaboration, programme)."""

    name: StrictStr
    members: tuple[StrictStr, ...] = Field(min_length=2)
    lead: StrictStr
    topology: Literal["plenary", "star"]
    mandate: StrictBool | Literal["mandate_change"]
    decision_rights_from_week: StrictInt | Literal["mandate_change"] | None = Field(default=None)
    setup_weeks: StrictInt = Field(ge=0, le=MAX_COUNT)
    period_weeks: StrictInt | None = Field(default=None, ge=1, le=MAX_COUNT)
    renewed: StrictBool = False
    meets_every_weeks: StrictInt = Field(ge=1, le=MAX_COUNT)
    secretariat_py: float = _py()
    knowledge_py: float = _py()
    staffing: Staffing = "lead"
    coordinating_responsibility: float = _share(0.0)
    reference_group: tuple[StrictStr, ...] = ()
    municipal_reference: StrictBool = False
    implemented_in_line: StrictBool = False
    coordinates_field: StrictBool = False
    source: StrictStr

    @model_validator(mode="after")
    def _consistent(self) -> Arena:
        _once(self.members, f"arena {shown(self.name)}: members")
        _once(self.reference_group, f"arena {shown(self.name)}: reference_group")
        unknown = unknown_codes([*self.members, *self.reference_group])
        if unknown:
            raise ValueError(f"arena {shown(self.name)}: unknown actor codes {shortened(unknown)} in members or "
                             "reference_group; codes: the ministries, directorates and regional offices of docs/DATA.md")
        if self.lead not in self.members:
            raise ValueError(f"arena {shown(self.name)}: lead {shown(self.lead)} must be one of its members "
                             f"({shortened(list(self.members))})")
        week = self.decision_rights_from_week
        if isinstance(week, int) and not 0 <= week <= MAX_COUNT:
            raise ValueError(f"arena {shown(self.name)}: decision_rights_from_week must be a week in [0, {MAX_COUNT}], "
                             f"\"mandate_change\" or left out, got {week}")
        if self.renewed and self.period_weeks is None:
            raise ValueError(f"arena {shown(self.name)}: renewed = true needs a period_weeks")
        return self


class Stream(_Strict):
    """Assignments a measure adds each year."""

    issuer: StrictStr
    lead: StrictStr
    per_year: StrictInt = Field(ge=1, le=MAX_PER_YEAR)
    channel: Channel
    arena: StrictStr | None = None


class OrganisationModel(_Strict):
    """One national organisation model."""

    title: StrictStr
    source: StrictStr
    issuer: StrictStr
    issuer_responsibility: float = _share(0.0)
    issuing_arena: StrictStr | None = None
    lead_agency: StrictStr
    joint_letters: tuple[StrictStr, ...] | Literal["arena"]
    arenas: tuple[Arena, ...] = ()

    @model_validator(mode="after")
    def _one_coordinating_arena(self) -> OrganisationModel:
        if sum(a.coordinates_field for a in self.arenas) > 1:
            raise ValueError(f"model {shown(self.title)}: at most one arena may coordinate the field")
        names = {a.name for a in self.arenas}
        if self.issuing_arena is not None and self.issuing_arena not in names:
            raise ValueError(f"issuing_arena {shown(self.issuing_arena)} is not one of the model's arenas ({shortened(sorted(names), 8)})")
        if self.joint_letters == "arena" and not any(a.coordinates_field for a in self.arenas):
            raise ValueError("joint_letters = 'arena' needs an arena with coordinates_field = true")
        if self.joint_letters != "arena":
            _once(self.joint_letters, "joint_letters")
        return self


class Measure(_Strict):
    """A measure of seed 002 §5.4, combinable with any model: rules it switches on, arenas and streams it adds."""

    title: StrictStr
    source: StrictStr
    rules: tuple[Rule, ...] = ()
    arenas: tuple[Arena, ...] = ()
    streams: tuple[Stream, ...] = ()
    # money the measure spends a year beyond the actors' time (grants, allocations); the time its arenas and streams
    # take is counted in person-years by the model itself (cost_person_years)
    budget_nok: float = Field(default=0.0, ge=0.0, le=MAX_BUDGET_NOK, strict=True, allow_inf_nan=False)
    budget_source: StrictStr = ""  # the seed and section, or "assumption: ..." (docs/ODD.md, Costs)

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
            raise ValueError(f"arena {shown(name)} is declared twice (model and measures must name arenas uniquely).")
    return own + [a for a in cat.today.arenas if a.name not in names]


def check_stream_arenas(model: OrganisationModel, measures: Mapping[str, Measure], where: str) -> None:
    """Every measure stream's arena exists in the organisation simulated (model, measures, today), or a ValueError."""
    names = [a.name for a in arenas_of(model, measures)]
    for name, measure in measures.items():
        for k, stream in enumerate(measure.streams):
            if stream.arena is not None and stream.arena not in names:
                raise ValueError(f"{where}: measure {name!r} streams.{k}.arena: no arena {shown(stream.arena)} in "
                                 f"{shown(model.title)} with these measures; arenas: {shortened(names, 8)}")


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
                             f"Allowed: {shortened(list(known), 12)}.")
        data = known[base_name].model_dump()
        data["title"] = f"{data['title']} (variant {name})"
    data.update(decl)
    if not isinstance(edits, dict):
        raise ValueError(f"{where}.arena must be a table of arena name -> changes, got {shown(edits)}.")
    arenas = [dict(a) if isinstance(a, dict) else a for a in data.get("arenas", [])]
    if added is not None:
        arenas += _added_arenas(where, base_name, "arenas" in decl, added, arenas)
    for arena_name, change in edits.items():
        arenas = edit_arena(arenas, arena_name, change, f"{where}.arena.{shown(arena_name)}")
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
        loc = field_path(err["loc"])
        field = next((part for part in reversed(loc.split(".")) if not part.isdigit()), "")
        msg = err["msg"].removeprefix("Value error, ")
        if field in FORMS and err["type"] != "value_error":  # a union: name its forms, not pydantic's branches
            msg = f"must be {FORMS[field]}"
        raise ValueError(f"{where}{'.' + loc if loc else ''}: {msg} (got {shown(err.get('input'))}).") from None


# what a field with several forms takes, in words (pydantic would name each union branch by its type)
FORMS: dict[str, str] = {
    "mandate": 'true, false or "mandate_change"',
    "decision_rights_from_week": f'a whole week in [0, {MAX_COUNT}], "mandate_change", or left out (no decision rights)',
    "period_weeks": f"a whole number of weeks in [1, {MAX_COUNT}], or left out (standing)",
    "joint_letters": '"arena" (the coordinating arena) or a list of actor codes',
    "issuing_arena": "the name of one of the model's arenas, or left out",
    "arena": "the name of an arena, or left out",
}


def field_path(loc: tuple[Any, ...]) -> str:
    """A validation error's location as dotted field names, without pydantic's tags for union branches."""
    def tag(part: Any) -> bool:
        text = str(part)
        return text in ("int", "float", "str", "bool", "none") or text.startswith(
            ("literal[", "tuple[", "list[", "dict[", "function-", "constrained-", "nullable["))
    return ".".join(str(x) for x in loc if not tag(x))


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
                         f"Arenas: {shortened(choices, 12)}.")
    if not isinstance(change, dict):
        raise ValueError(f"{where} must be a table of field changes, got {shown(change)}.")
    arenas = list(arenas)
    arena = dict(arenas[names.index(arena_name)])
    change = dict(change)
    members = list(arena.get("members", ()))
    for code in _codes(change.pop("remove_members", []), f"{where}.remove_members"):
        if code not in members:
            raise ValueError(f"{where}.remove_members: {shown(code)} is not a member; members: {shortened(members, 8)}.")
        members.remove(code)
    members += [c for c in _codes(change.pop("add_members", []), f"{where}.add_members") if c not in members]
    arena.update(members=tuple(members))
    arena.update(change)
    arenas[names.index(arena_name)] = arena
    return arenas


@cache
def actor_codes() -> tuple[frozenset[str], frozenset[str]]:
    """The codes of every actor (ministries, directorates, regional offices), and of the ministries alone."""
    from .datasets import load_actors

    actors = load_actors()
    ministries = frozenset(actors.ministries["code"])
    return ministries | frozenset(actors.directorates["code"]) | frozenset(actors.regional_offices["code"]), ministries


def unknown_codes(codes: list[str]) -> list[str]:
    """The codes in ``codes`` that name no actor, in order, each once."""
    known = actor_codes()[0]
    return list(dict.fromkeys(c for c in codes if c not in known))


def check_codes(declared: OrganisationModel | Measure, where: str) -> None:
    """Every actor code a declared model or measure names exists, and every issuer is a ministry (before any run)."""
    codes, ministries = actor_codes()
    named: list[tuple[str, str]] = []
    issuers: list[tuple[str, str]] = []
    if isinstance(declared, OrganisationModel):
        issuers.append(("issuer", declared.issuer))
        named += [("lead_agency", declared.lead_agency)]
        named += [("joint_letters", c) for c in (() if declared.joint_letters == "arena" else declared.joint_letters)]
    else:
        for k, stream in enumerate(declared.streams):
            issuers.append((f"streams.{k}.issuer", stream.issuer))
            named += [(f"streams.{k}.lead", stream.lead)]
    for k, arena in enumerate(declared.arenas):
        named += [(f"arenas.{k}.members", c) for c in arena.members]
        named += [(f"arenas.{k}.reference_group", c) for c in arena.reference_group]
    for field, code in [*issuers, *named]:
        if code not in codes:
            raise ValueError(f"{where}.{field}: unknown actor code {shown(code)}.{suggest(code, codes)} "
                             "Codes: the ministries, directorates and regional offices of docs/DATA.md.")
    for field, code in issuers:
        if code not in ministries:
            raise ValueError(f"{where}.{field}: {shown(code)} is not a ministry; assignments are issued by a "
                             f"ministry ({', '.join(sorted(ministries))}).")


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
