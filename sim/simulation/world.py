"""The static side of a simulation: actors, relations, arenas and assignment streams as arrays.

:func:`build_world` resolves an organisation model plus measures against the actor
data into a :class:`World` (a named tuple of numpy arrays) that both engines read
and never write.  State actors (ministries, directorates, regional offices) share
one index space ``0..n_state-1``; relations between them are the pairs ``i < j``.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .datasets import Actors
from .parameters import Params
from .structures import (
    CHANNELS,
    STAFFING,
    Arena,
    Measure,
    OrganisationModel,
    Stream,
    arenas_of,
    catalogue,
    todays_arena_names,
)

MINISTRY, DIRECTORATE, STATSFORVALTER, KORUS = 0, 1, 2, 3
LETTERS_LEAD, LETTERS_SET, LETTERS_ALL = 0, 1, 2
STAFFED_BY_LEAD, STAFFED_BY_MEMBERS, DEDICATED_STAFF = 0, 1, 2  # positions in sim.structures.STAFFING


class World(NamedTuple):
    """Static arrays of one simulated organisation (read-only for the engines)."""

    key: int
    n_ministries: int
    n_state: int
    lead_agency: int
    field_arena: int
    annual_issues: int
    n_field_sectors: int
    sector_in_field: np.ndarray
    # state actors; a sector is a ministry's index (a ministry is its own sector), -1 for regional offices
    kind: np.ndarray
    owner: np.ndarray
    relevance: np.ndarray
    capacity: np.ndarray
    # relations between state actors (i < j)
    pair_i: np.ndarray
    pair_j: np.ndarray
    pair_id: np.ndarray
    pair_floor: np.ndarray
    pair_field: np.ndarray
    pair_cross: np.ndarray
    pair_initial: np.ndarray
    # arenas (today's, the model's and the measures')
    ar_member: np.ndarray
    ar_size: np.ndarray
    ar_ties: np.ndarray
    ar_reference: np.ndarray
    ar_stake: np.ndarray
    ar_sectors: np.ndarray
    ar_lead: np.ndarray
    ar_mandate_from: np.ndarray
    ar_decides_from: np.ndarray
    ar_start: np.ndarray
    ar_period: np.ndarray
    ar_cycle: np.ndarray
    ar_meet_every: np.ndarray
    ar_secretariat: np.ndarray
    ar_knowledge: np.ndarray
    ar_new_staff: np.ndarray
    ar_staffing: np.ndarray
    ar_responsibility: np.ndarray
    ar_today: np.ndarray
    ar_usual_meetings: np.ndarray
    ar_usual_staff: np.ndarray
    ar_in_line: np.ndarray
    ar_municipalities: np.ndarray
    ar_pair_ptr: np.ndarray
    ar_pairs: np.ndarray
    # annual assignment streams
    st_issuer: np.ndarray
    st_issuing_arena: np.ndarray
    st_lead: np.ndarray
    st_per_year: np.ndarray
    st_arena: np.ndarray
    st_letters: np.ndarray
    st_letter_set: np.ndarray
    st_alignment: np.ndarray
    st_channel: np.ndarray
    # measure switches
    identical_assignments: bool
    state_support: bool
    outreach_support: bool
    rer_contact_point: bool
    programme_financing: bool
    # municipalities
    mu_number: np.ndarray
    mu_statsforvalter: np.ndarray
    mu_korus: np.ndarray
    mu_capacity: np.ndarray
    mu_rer_adequacy: np.ndarray
    mu_size_class: np.ndarray


def _arena_pairs(arena: Arena, index: dict[str, int], pair_id: np.ndarray) -> list[int]:
    """Pairs an arena brings together: all members (plenary) or lead-member (star), plus lead-reference links."""
    members = [index[c] for c in arena.members]
    lead = index[arena.lead]
    if arena.topology == "plenary":
        links = [(a, b) for n, a in enumerate(members) for b in members[n + 1:]]
    else:
        links = [(lead, m) for m in members if m != lead]
    links += [(lead, index[c]) for c in arena.reference_group if index[c] != lead]
    return sorted({int(pair_id[a, b]) for a, b in links})


class ActorColumns(NamedTuple):
    """What a world takes from the actor tables alone, whatever the structure, measures or parameters."""

    index: dict[str, int]  # actor code -> actor number
    n_ministries: int
    kind: np.ndarray
    owner: np.ndarray
    relevance: np.ndarray
    capacity: np.ndarray  # person-years, before ``capacity_scale``
    n_field_sectors: int
    sector_in_field: np.ndarray
    pair_i: np.ndarray
    pair_j: np.ndarray
    pair_id: np.ndarray
    line: np.ndarray  # the pair is a ministry and its own directorate
    pair_field: np.ndarray
    pair_cross: np.ndarray
    network: np.ndarray  # the pair meets in one of today's arenas
    population: np.ndarray
    mu_number: np.ndarray
    mu_statsforvalter: np.ndarray
    mu_korus: np.ndarray
    mu_rer_funding: np.ndarray
    mu_size_class: np.ndarray


def actor_columns(actors: Actors) -> ActorColumns:
    """:class:`ActorColumns` of ``actors``, computed once per Actors object.

    Every model of the shipped data shares one Actors object (``sim.simulation.model``), so this costs a
    model nothing after the first.  The worlds built from it share these arrays and never write
    to them; an Actors object's tables must not change once a world has been built from it.
    """
    found = _ACTOR_COLUMNS.get(actors)
    if found is None:
        found = _ACTOR_COLUMNS[actors] = _actor_columns(actors)
    return found


def _actor_columns(actors: Actors) -> ActorColumns:
    mins, dirs, regs = actors.ministries, actors.directorates, actors.regional_offices
    codes = [*mins["code"].tolist(), *dirs["code"].tolist(), *regs["code"].tolist()]
    index = {c: i for i, c in enumerate(codes)}
    n_min, n_dir, n = len(mins), len(dirs), len(codes)
    kind = np.array([MINISTRY] * n_min + [DIRECTORATE] * n_dir
                    + [STATSFORVALTER if k == "statsforvalter" else KORUS for k in regs["kind"].tolist()], dtype=np.int64)
    owner = np.full(n, -1, dtype=np.int64)
    owner[:n_min] = np.arange(n_min)
    owner[n_min:n_min + n_dir] = [index[m] for m in dirs["ministry"].tolist()]
    relevance = np.concatenate([np.ones(n_min), dirs["relevance"].to_numpy(float), np.zeros(len(regs))])
    capacity = np.concatenate([mins["capacity_py"], dirs["capacity_py"], regs["capacity_py"]]).astype(float)
    field_sectors = {int(owner[j]) for j in range(n) if kind[j] == DIRECTORATE and relevance[j] > 0}
    pair_i, pair_j = np.triu_indices(n, k=1)
    pair_id = np.full((n, n), -1, dtype=np.int64)
    pair_id[pair_i, pair_j] = np.arange(len(pair_i))
    pair_id[pair_j, pair_i] = np.arange(len(pair_i))
    pair_field = (kind[pair_i] <= DIRECTORATE) & (kind[pair_j] <= DIRECTORATE)
    network = np.zeros(len(pair_i), bool)
    network[[q for a in catalogue().today.arenas for q in _arena_pairs(a, index, pair_id)]] = True
    mun = actors.municipalities
    return ActorColumns(
        index=index, n_ministries=n_min, kind=kind, owner=owner, relevance=relevance, capacity=capacity,
        n_field_sectors=len(field_sectors), sector_in_field=np.isin(np.arange(n_min), sorted(field_sectors)),
        pair_i=pair_i.astype(np.int64), pair_j=pair_j.astype(np.int64), pair_id=pair_id,
        line=(owner[pair_j] == pair_i) & (kind[pair_j] == DIRECTORATE) & (kind[pair_i] == MINISTRY),
        pair_field=pair_field, pair_cross=pair_field & (owner[pair_i] != owner[pair_j]), network=network,
        population=mun["population"].to_numpy(float), mu_number=mun["number"].to_numpy(np.int64),
        mu_statsforvalter=np.array([index[c] for c in mun["statsforvalter"].tolist()], dtype=np.int64),
        mu_korus=np.array([index[c] for c in mun["korus"].tolist()], dtype=np.int64),
        mu_rer_funding=mun["rer_funding_nok"].to_numpy(float), mu_size_class=mun["size_class"].to_numpy(np.int64))


_ACTOR_COLUMNS: weakref.WeakKeyDictionary[Actors, ActorColumns] = weakref.WeakKeyDictionary()


def _resolve(code: str, index: dict[str, int], where: str) -> int:
    if code not in index:
        raise ValueError(f"{where}: unknown actor code {code!r}; known codes: {', '.join(index)}.")
    return index[code]


def build_world(actors: Actors, model: OrganisationModel, measures: Mapping[str, Measure], params: Params, key: int,
                mandate_change_week: int | None = None) -> World:
    """Compile an organisation model with measures into a :class:`World`.

    ``model`` and ``measures`` come checked (:func:`~.structures.check_structure` and
    :func:`~.structures.check_measures`, which :class:`~.model.CoordinationModel` calls on
    the way in). ``mandate_change_week`` is the scenario's premise about a change of mandate
    (seed 000 model 3): the week from which arenas whose decision rights wait for
    it hold them, or ``None`` for no change (the report's premise).
    """
    rules = {r for m in measures.values() for r in m.rules}
    actor = actor_columns(actors)
    index, kind, owner, relevance, pair_id = actor.index, actor.kind, actor.owner, actor.relevance, actor.pair_id
    n_min, n = actor.n_ministries, len(kind)
    capacity = actor.capacity * params.capacity_scale
    pair_floor = np.where(actor.line, params.line_level, 0).astype(np.int64)
    pair_initial = np.maximum(pair_floor, np.where(actor.network, params.initial_network_level, 0)).astype(np.int64)

    arenas = arenas_of(model, measures)
    names = [a.name for a in arenas]
    n_ar = len(arenas)
    ar_member = np.zeros((n_ar, n), bool)
    ar_reference = np.zeros((n_ar, n), bool)
    ar_pairs: list[int] = []
    ar_pair_ptr = [0]
    for k, a in enumerate(arenas):
        for c in a.members:
            ar_member[k, _resolve(c, index, f"arena {a.name!r} members")] = True
        for c in a.reference_group:
            ar_reference[k, _resolve(c, index, f"arena {a.name!r} reference_group")] = True
        ar_pairs += _arena_pairs(a, index, pair_id)
        ar_pair_ptr.append(len(ar_pairs))

    lead_agency = _resolve(model.lead_agency, index, f"model {model.title!r} lead_agency")
    field_arena = next((k for k, a in enumerate(arenas) if a.coordinates_field), -1)
    streams: list[dict] = []
    for m in range(n_min):  # each ministry's own annual cross-sector assignments
        # lead drawn among the ministry's directorates at issue; the field arena takes it if the lead is a member
        streams.append(dict(issuer=m, issuing_arena=-1, lead=-1, per_year=params.annual_assignments,
                            arena=-1, letters=LETTERS_LEAD, letter_set=(), channel=-1))
    joint_set = tuple(arenas[field_arena].members) if model.joint_letters == "arena" else model.joint_letters
    streams.append(dict(issuer=_resolve(model.issuer, index, "issuer"),
                        issuing_arena=names.index(model.issuing_arena) if model.issuing_arena else -1,
                        lead=lead_agency, per_year=params.joint_assignments, arena=field_arena,
                        letters=LETTERS_SET, letter_set=joint_set, channel=-1))
    joint = len(streams) - 1  # the field's joint stream, whose letters set the arenas' stakes below
    for m in measures.values():
        for s in m.streams:
            streams.append(_measure_stream(s, index, names))
    identical = "identical_assignments" in rules
    if identical:
        for s in streams:
            s["letters"] = LETTERS_ALL

    n_st = len(streams)
    st_letter_set = np.zeros((n_st, n), bool)
    for t, s in enumerate(streams):
        for c in s["letter_set"]:
            st_letter_set[t, _resolve(c, index, "joint_letters")] = True

    # 002 §Forankring: a member whose own letter carries the field's joint assignment has a full stake in it
    signalled = (kind == MINISTRY) | identical | st_letter_set[joint]
    stake = relevance * np.where(signalled, 1.0, params.weak_priority)
    population = actor.population
    ref = params.capacity_reference_population
    mu_statsforvalter = actor.mu_statsforvalter
    today = todays_arena_names()
    return World(
        key=int(key), n_ministries=n_min, n_state=n, lead_agency=lead_agency, field_arena=field_arena,
        annual_issues=sum(s["per_year"] for s in streams), n_field_sectors=actor.n_field_sectors,
        sector_in_field=actor.sector_in_field,
        kind=kind, owner=owner, relevance=relevance, capacity=capacity,
        pair_i=actor.pair_i, pair_j=actor.pair_j, pair_id=pair_id,
        pair_floor=pair_floor, pair_field=actor.pair_field, pair_cross=actor.pair_cross, pair_initial=pair_initial,
        ar_member=ar_member, ar_size=ar_member.sum(axis=1).astype(np.int64), ar_ties=np.array([_ties(a, ar_member[k], index[a.lead]) for k, a in enumerate(arenas)],
                                              dtype=np.int64).reshape(n_ar, n),
        ar_reference=ar_reference, ar_stake=ar_member * stake,
        ar_sectors=np.array([len({int(owner[index[c]]) for c in a.members} - {-1}) for a in arenas], dtype=np.int64),
        ar_lead=np.array([index[a.lead] for a in arenas], dtype=np.int64),
        ar_mandate_from=np.array([premise_week(a.mandate, mandate_change_week) for a in arenas], dtype=np.int64),
        ar_decides_from=np.array([decision_week(a, mandate_change_week) for a in arenas], dtype=np.int64),
        ar_start=np.array([a.setup_weeks for a in arenas], dtype=np.int64),
        ar_period=np.array([-1 if a.period_weeks is None else a.period_weeks for a in arenas], dtype=np.int64),
        ar_cycle=np.array([a.period_weeks + params.renewal_gap_weeks if a.renewed else -1 for a in arenas],
                          dtype=np.int64),
        ar_meet_every=np.array([a.meets_every_weeks for a in arenas], dtype=np.int64),
        ar_secretariat=np.array([a.secretariat_py for a in arenas], float),
        ar_knowledge=np.array([a.knowledge_py for a in arenas], float),
        ar_new_staff=np.array([_new_staff(a) for a in arenas], float),
        ar_staffing=np.array([STAFFING.index(a.staffing) for a in arenas], dtype=np.int64),
        ar_responsibility=np.array([a.coordinating_responsibility for a in arenas], float),
        ar_today=np.array([a.name in today for a in arenas], bool),
        ar_usual_meetings=np.array([_as_today(a)[0] for a in arenas], float),
        ar_usual_staff=np.array([_as_today(a)[1] for a in arenas], float),
        ar_in_line=np.array([a.implemented_in_line for a in arenas], bool),
        ar_municipalities=np.array([_represented(a, ar_reference[k], mu_statsforvalter, population)
                                    for k, a in enumerate(arenas)], bool).reshape(n_ar, len(population)),
        ar_pair_ptr=np.array(ar_pair_ptr, dtype=np.int64), ar_pairs=np.array(ar_pairs, dtype=np.int64),
        st_issuer=np.array([s["issuer"] for s in streams], dtype=np.int64),
        st_issuing_arena=np.array([s["issuing_arena"] for s in streams], dtype=np.int64),
        st_lead=np.array([s["lead"] for s in streams], dtype=np.int64),
        st_per_year=np.array([s["per_year"] for s in streams], dtype=np.int64),
        st_arena=np.array([s["arena"] for s in streams], dtype=np.int64),
        st_letters=np.array([s["letters"] for s in streams], dtype=np.int64),
        st_letter_set=st_letter_set,
        st_channel=np.array([s["channel"] for s in streams], dtype=np.int64),
        st_alignment=np.array([model.issuer_responsibility if t == joint else 0.0 for t in range(n_st)], float),
        identical_assignments=identical,
        state_support="state_support" in rules,
        outreach_support="outreach" in rules,
        rer_contact_point="rer_contact_point" in rules,
        programme_financing="programme_financing" in rules,
        mu_number=actor.mu_number,
        mu_statsforvalter=mu_statsforvalter,
        mu_korus=actor.mu_korus,
        mu_capacity=np.minimum(1.0, (population / ref) ** params.capacity_elasticity),
        mu_rer_adequacy=np.minimum(1.0, actor.mu_rer_funding / params.rer_role_cost_nok),
        mu_size_class=actor.mu_size_class,
    )


def premise_week(declared: bool | int | str | None, mandate_change_week: int | None) -> int:
    """The week a declared mandate or right holds from: 0 for ``True``, the week given, -1 for never.

    ``"mandate_change"`` waits for the scenario's change of mandate (seed 000 model 3: today KUBU
    and the agencies' collaboration have no steering line or decision structure): its
    ``mandate_change_week``, or never when the scenario has none.
    """
    if declared == "mandate_change":
        declared = mandate_change_week
    if declared is None or declared is False:
        return -1
    return 0 if declared is True else int(declared)


def decision_week(arena: Arena, mandate_change_week: int | None) -> int:
    """The week an arena's decision rights take effect (never before its set-up); -1 if never."""
    rights = premise_week(arena.decision_rights_from_week, mandate_change_week)
    return -1 if rights < 0 else max(rights, arena.setup_weeks)


def _ties(arena: Arena, member: np.ndarray, lead: int) -> np.ndarray:
    """Per actor, how many other members of ``arena`` it deals with directly: all of them in a plenary, the lead in a star."""
    n_members = int(member.sum())
    if arena.topology == "plenary":
        return np.where(member, n_members - 1, 0)
    ties = member.astype(np.int64)
    ties[lead] = n_members - 1
    return ties


def _as_today(arena: Arena) -> tuple[float, float]:
    """The shares of an arena's meetings and of its staff that it has today (1, 1 for one of today's arenas as it is).

    "Use of existing structures" counts as existing only the volume an arena has today: a new
    arena has none, and one of today's arenas scaled up (meeting more often, more staff) has
    today's share of it (000 table 6: "vil dermed gå på tvers av dagens struktur fremfor å bygge
    videre på eksisterende strukturer").
    """
    today = {a.name: a for a in catalogue().today.arenas}.get(arena.name)
    if today is None:
        return 0.0, 0.0
    meetings = min(1.0, arena.meets_every_weeks / today.meets_every_weeks)
    staff = arena.secretariat_py + arena.knowledge_py
    usual = today.secretariat_py + today.knowledge_py
    return meetings, (min(1.0, usual / staff) if staff > 0 else 1.0)


def _new_staff(arena: Arena) -> float:
    """Person-years a year of secretariat and knowledge function an arena has beyond what it has today.

    Today's arenas are staffed today, for more than this field (001: the agencies' collaboration
    has "et sekretariat for samarbeidet"); only what a model adds to one, or a new arena's
    whole staff, must come from someone's capacity or new money (``staffing``).
    """
    today = {a.name: a for a in catalogue().today.arenas}.get(arena.name)
    if today is None:
        return arena.secretariat_py + arena.knowledge_py
    return max(0.0, arena.secretariat_py - today.secretariat_py) + max(0.0, arena.knowledge_py - today.knowledge_py)


def _represented(arena: Arena, reference: np.ndarray, statsforvalter: np.ndarray, population: np.ndarray) -> np.ndarray:
    """Municipalities in an arena's reference group: the most populous of each region whose Statsforvalter is in it."""
    out = np.zeros(len(population), bool)
    if not arena.municipal_reference:
        return out
    for sf in np.flatnonzero(reference):
        rows = np.flatnonzero(statsforvalter == sf)
        if len(rows):
            out[rows[np.argmax(population[rows])]] = True
    return out


def _measure_stream(s: Stream, index: dict[str, int], arena_names: list[str]) -> dict:
    if s.arena is not None and s.arena not in arena_names:
        raise ValueError(f"stream arena {s.arena!r} is not declared; declared: {arena_names}.")
    return dict(issuer=_resolve(s.issuer, index, "stream issuer"), issuing_arena=-1,
                lead=_resolve(s.lead, index, "stream lead"), per_year=s.per_year,
                arena=arena_names.index(s.arena) if s.arena else -1,
                letters=LETTERS_LEAD, letter_set=(), channel=CHANNELS.index(s.channel))
