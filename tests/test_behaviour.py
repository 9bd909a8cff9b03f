"""Outcomes from behaviour: the criteria observe what the actors do, and one set of rules holds for every structure.

Each statistical check compares last-year means of 520-week runs over several seeds
with a Welch 95 % interval of the difference (no single lucky seed, no wall clock).
The variants are built in code from the shipped models, so every rule is exercised on
structures no calibration ever saw.
"""

from __future__ import annotations

import ast
import inspect

import numpy as np
import pytest
from scipy import stats

from sim import CRITERIA, CoordinationModel
from sim.experiments.intervals import welch_interval
from sim.simulation.kernels import observation
from sim.simulation.structures import Arena, OrganisationModel, catalogue

SEEDS = range(12)
WEEKS = 520
LOW_STAKE = ("HK-dir", "Husbanken", "KDI", "Helsetilsynet", "Kudir")  # relevance 0.2-0.4 (sim/data/directorates.csv)
MODELS = catalogue().models


def _last_year(structure, seeds=SEEDS, **kwargs) -> np.ndarray:
    """Per seed, the last-year mean of each criterion (rows: seeds, columns: CRITERIA)."""
    rows = []
    for seed in seeds:
        m = CoordinationModel(structure, rng=seed, **kwargs)
        m.run_weeks(WEEKS)
        rows.append(m.datacollector.get_model_vars_dataframe()[list(CRITERIA)].iloc[-52:].mean().to_numpy())
    return np.array(rows)


def _not_above(variant: np.ndarray, reference: np.ndarray, criterion: str) -> tuple[float, float, float]:
    k = CRITERIA.index(criterion)
    diff, lo, hi = welch_interval(reference[:, k], variant[:, k])
    return diff, lo, hi


def _with_arena(model: OrganisationModel, k: int = 0, **update) -> OrganisationModel:
    arenas = list(model.arenas)
    arenas[k] = arenas[k].model_copy(update=update)
    return model.model_copy(update={"arenas": tuple(arenas)})


def test_a_declared_arena_nobody_meets_in_earns_nothing():
    # 004 §4.5: an empty structure; model 2's board declared, but never meeting and with nothing behind it
    empty = _with_arena(MODELS["model2"], meets_every_weeks=10**6, secretariat_py=0.0, knowledge_py=0.0,
                        decision_rights_from_week=None, reference_group=(), municipal_reference=False)
    today = _last_year("baseline")
    variant = _last_year(empty)
    for criterion in CRITERIA:
        _, lo, _ = _not_above(variant, today, criterion)
        assert lo <= 0, f"an empty arena is significantly better than today on {criterion}"


@pytest.mark.parametrize("structure, kwargs", [("model2", {}), ("model3", {"mandate_change_week": 104})])
def test_leaving_sectors_out_never_raises_strategic_coordination(structure, kwargs):
    # strategic coordination is judged against every sector the field concerns
    field = MODELS[structure].arenas[-1] if structure == "model3" else MODELS[structure].arenas[0]
    k = list(MODELS[structure].arenas).index(field)
    narrow = _with_arena(MODELS[structure], k, members=("Hdir", "FHI", "Bufdir") if structure == "model3"
                         else ("Hdir", "FHI"), lead=field.lead)
    _, lo, _ = _not_above(_last_year(narrow, **kwargs), _last_year(structure, **kwargs), "strategic_coordination")
    assert lo <= 0


def _paired(differences) -> tuple[float, float, float]:
    """Mean of per-seed differences between variants run on the same seeds, with its 95 % t interval.

    The draws are counter-based, so two variants on one seed face the same assignment stream:
    pairing removes that shared noise (common random numbers).
    """
    d = np.asarray(differences, float)
    half = stats.t.ppf(0.975, len(d) - 1) * d.std(ddof=1) / np.sqrt(len(d))
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def _time_use(model: CoordinationModel, codes, weeks: int = 52) -> tuple[float, float]:
    """Person-years a year the actors ``codes`` give to assignments and to structures over the next ``weeks`` weeks."""
    def given():
        return model.time_use().set_index("actor").loc[list(codes), ["assignments_pw", "structures_pw"]].to_numpy()
    before = given()
    model.run_weeks(weeks)
    assignments, structures = (given() - before).sum(axis=0) / weeks
    return float(assignments), float(structures)


def test_each_low_stake_member_added_to_a_body_lowers_operational_implementation():
    # 000 model 3, negative effects: many actors with different stakes -> more bureaucracy, slower agreement,
    # diffuse responsibility. Every member is consulted and must assent (sim.kernels.capacity), so a member costs
    # the others time and delays decisions even while its own stake keeps it away.
    seeds = range(100, 160)
    doses = np.arange(len(LOW_STAKE) + 1)
    slopes, load_change = {}, {}
    for structure in ("model1", "model2"):
        body = MODELS[structure].arenas[0]
        oi = np.empty((len(seeds), len(doses)))
        load = np.empty((len(seeds), 2))
        for k in doses:
            variant = _with_arena(MODELS[structure], members=body.members + LOW_STAKE[:k])
            for row, seed in enumerate(seeds):
                m = CoordinationModel(variant, rng=seed)
                m.run_weeks(WEEKS - 52)
                _, structures = _time_use(m, body.members)  # the body's original members, over the last year
                if k in (0, doses[-1]):
                    load[row, 0 if k == 0 else 1] = structures
                oi[row, k] = m.datacollector.get_model_vars_dataframe()["operational_implementation"].iloc[-52:].mean()
        slopes[structure] = np.polyfit(doses, oi.T, 1)[0]  # one dose-response slope per seed
        load_change[structure] = load[:, 1] - load[:, 0]
    mean, lo, hi = _paired((slopes["model1"] + slopes["model2"]) / 2)
    assert hi < 0, f"pooled slope {mean:.4f} [{lo:.4f}, {hi:.4f}] per added member"
    for structure in slopes:
        assert slopes[structure].mean() < 0, structure
        mean, lo, hi = _paired(load_change[structure])  # the cost runs through the members' capacity
        assert lo > 0, f"{structure}: the original members' time on the body changes by {mean:.3f} py/yr"


def test_a_body_meeting_every_week_takes_its_members_time_from_their_assignments():
    # a meeting costs each attendee its time (meeting_cost) before the work is shared out (004 §3.2.3, §4.5)
    group = MODELS["model1"].arenas[0]
    changes = []
    for seed in range(40):
        effort = []
        for every in (4, 1):
            m = CoordinationModel(_with_arena(MODELS["model1"], meets_every_weeks=every), rng=seed)
            m.run_weeks(WEEKS - 52)
            effort.append(_time_use(m, group.members)[0])
        changes.append(effort[1] - effort[0])
    mean, lo, hi = _paired(changes)
    assert hi < 0, f"weekly meetings change the members' effort on assignments by {mean:.3f} [{lo:.3f}, {hi:.3f}] py/yr"


def test_a_programme_that_ends_takes_its_joint_work_and_the_relations_it_alone_sustained_with_it():
    # 004 §4.1: "et rykk tilbake til start på samordningstrappa" when a programme ends without a continuation
    ending = _with_arena(MODELS["model2"], renewed=False)
    board = ending.arenas[0]
    end = board.setup_weeks + board.period_weeks
    falls = []
    for seed in range(20):
        m = CoordinationModel(ending, rng=seed)
        m.run_weeks(end)  # weeks 0 .. end - 1: the board's last week of work
        pairs = m.world.ar_pairs[m.world.ar_pair_ptr[0]:m.world.ar_pair_ptr[1]]
        at_end = m.state.level[pairs].mean()
        m.run_weeks(52)
        falls.append(m.state.level[pairs].mean() - at_end)
        book = m.assignments()
        carried = book[book["arena"] == board.name]
        assert not (carried["status"] == "open").any()  # what the programme carried stopped with it ...
        unfinished = carried[carried["closed_week"] >= end]
        assert (unfinished["status"] == "dropped").all() and (unfinished["closed_week"] == end).all()
        assert (book[book["issued_week"] >= end]["arena"] != board.name).all()  # ... and it carries nothing new
    mean, lo, hi = _paired(falls)
    assert hi < 0, f"the board's relations move {mean:.2f} [{lo:.2f}, {hi:.2f}] steps in the year after its end"


def _history(structure, weeks=260, **kwargs) -> np.ndarray:
    m = CoordinationModel(structure, rng=3, **kwargs)
    m.run_weeks(weeks)
    return m.datacollector.get_model_vars_dataframe().to_numpy()


ARENA_CHANGES = {  # field -> (model, arena index, new value, model keywords)
    "members": ("model1", 0, ("Hdir", "Bufdir", "Udir"), {}),
    "lead": ("model2", 0, "Bufdir", {}),
    "topology": ("model1", 0, "plenary", {}),
    "mandate": ("model1", 0, False, {}),
    "staffing": ("model1", 0, "dedicated", {}),
    "coordinating_responsibility": ("model2", 0, 0.0, {}),
    "decision_rights_from_week": ("model2", 0, None, {}),
    "setup_weeks": ("model1", 0, 60, {}),
    "period_weeks": ("model1", 0, 100, {}),
    "renewed": ("model2", 0, False, {}),
    "meets_every_weeks": ("model2", 0, 12, {}),
    "secretariat_py": ("model1", 0, 0.0, {}),
    "knowledge_py": ("model1", 0, 2.0, {}),
    "reference_group": ("model2", 0, ("SF-OAOB",), {}),
    "municipal_reference": ("model2", 0, False, {}),
    "implemented_in_line": ("model3", 1, False, {"mandate_change_week": 52}),
    "coordinates_field": ("model1", 0, False, {}),
}
MODEL_CHANGES = {
    "issuer": ("model1", "BFD", {}),
    "issuer_responsibility": ("model1", 1.0, {}),
    "issuing_arena": ("model3", None, {"mandate_change_week": 52}),
    "lead_agency": ("model1", "Bufdir", {}),
    "joint_letters": ("model1", ("Hdir",), {}),
}
DESCRIPTIVE = {"name", "source", "title", "arenas"}  # identity and provenance; arenas are covered field by field


def test_every_behavioural_field_is_tested_for_an_effect():
    assert set(Arena.model_fields) - DESCRIPTIVE == set(ARENA_CHANGES)
    assert set(OrganisationModel.model_fields) - DESCRIPTIVE == set(MODEL_CHANGES)


@pytest.mark.parametrize("field", sorted(ARENA_CHANGES))
def test_every_declared_arena_field_changes_behaviour(field):
    structure, k, value, kwargs = ARENA_CHANGES[field]
    changed = _with_arena(MODELS[structure], k, **{field: value})
    if field == "renewed":
        changed = _with_arena(changed, k, period_weeks=100)
        base = _with_arena(MODELS[structure], k, period_weeks=100)
    else:
        base = MODELS[structure]
    weeks = 520 if field == "renewed" else 260
    assert not np.array_equal(_history(base, weeks, **kwargs), _history(changed, weeks, **kwargs)), field


@pytest.mark.parametrize("field", sorted(MODEL_CHANGES))
def test_every_declared_model_field_changes_behaviour(field):
    structure, value, kwargs = MODEL_CHANGES[field]
    changed = MODELS[structure].model_copy(update={field: value})
    assert not np.array_equal(_history(structure, **kwargs), _history(changed, **kwargs)), field


def _world_fields_read(function) -> set[str]:
    tree = ast.parse(inspect.getsource(function))
    return {node.attr for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "w"}


def test_observation_reads_actor_data_only_never_a_declared_structure():
    # ODD, Observation: the criteria read what the actors did (the state) and, from the world, only who the actors are
    actor_data = {"pair_field", "pair_cross", "mu_size_class", "n_ministries", "n_field_sectors", "sector_in_field"}
    assert _world_fields_read(observation.measure.py_func) <= actor_data


def test_a_reference_group_reaches_only_its_own_members_regions():
    # 000 model 2's reference group, cut to one Statsforvalter (Oslo and Viken): only that region's municipalities move
    model2 = MODELS["model2"]
    one = _with_arena(model2, reference_group=("SF-OAOB",), municipal_reference=True)
    none = _with_arena(model2, reference_group=("SF-OAOB",), municipal_reference=False)
    # without preparation time, which the secretariat spends on every attendee (municipal ones too), the
    # groups differ in reach alone
    a = CoordinationModel(one, rng=11, meeting_preparation=0.0)
    b = CoordinationModel(none, rng=11, meeting_preparation=0.0)
    a.run_weeks(WEEKS)
    b.run_weeks(WEEKS)
    region = a.world.mu_statsforvalter == next(x.index for x in a.state_actors if x.code == "SF-OAOB")
    represented = a.world.ar_municipalities.any(axis=0)
    assert represented.sum() == represented[region].sum() == 1  # its most populous municipality
    assert not np.array_equal(a.state.m_level[represented], b.state.m_level[represented])
    for name in ("m_level", "local_level", "uptakes"):  # every municipality not in the group: exactly as without it
        np.testing.assert_array_equal(getattr(a.state, name)[~represented], getattr(b.state, name)[~represented])
