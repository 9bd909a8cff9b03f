"""Ownership, maturity and roles: step 4 without formal rights, structures that must mature, the lead's role.

Each check compares variants built in code over several seeds: a Welch 95 % interval, or a
paired one where the variants share their seeds' assignment streams (counter-based draws).
"""

from __future__ import annotations

import numpy as np

from sim import CoordinationModel
from sim.experiments.intervals import welch_interval
from sim.simulation.state import TOP_STEP
from sim.simulation.structures import catalogue

MODELS = catalogue().models
TODAY = {a.name: a for a in catalogue().today.arenas}


def _with_arena(model, k=0, **update):
    arenas = list(model.arenas)
    arenas[k] = arenas[k].model_copy(update=update)
    return model.model_copy(update={"arenas": tuple(arenas)})


def _last_year(structure, seeds, criterion, weeks=520, **kwargs) -> np.ndarray:
    values = []
    for seed in seeds:
        m = CoordinationModel(structure, rng=seed, **kwargs)
        m.run_weeks(weeks)
        values.append(m.datacollector.get_model_vars_dataframe()[criterion].iloc[-52:].mean())
    return np.array(values)


def _below(low: np.ndarray, high: np.ndarray) -> bool:
    """The Welch 95 % interval of mean(high) - mean(low) lies above zero."""
    return welch_interval(low, high)[1] > 0


def _group_pairs(m: CoordinationModel, arena: int = 0) -> np.ndarray:
    return m.world.ar_pairs[m.world.ar_pair_ptr[arena]:m.world.ar_pair_ptr[arena + 1]]


def test_a_standing_arena_without_rights_reaches_and_holds_step_four_only_while_it_keeps_it_up():
    # 004 §2.2: step 4 is shared ownership, reached through "en felles organisering og arbeidsmåter" that keep
    # steps 1-3 up -- here a written mandate, a secretariat, a knowledge function, monthly plenary meetings and no
    # decision rights. Today's arenas are silenced, so that the arena under test is the only place its members
    # meet (in the shipped structures they may keep their top up in the agencies' collaboration too).
    group = MODELS["model1"].arenas[0].model_copy(update={"meets_every_weeks": 4, "setup_weeks": 0,
                                                          "topology": "plenary"})
    assert group.decision_rights_from_week is None and group.mandate is True and group.knowledge_py > 0
    silent = tuple(a.model_copy(update={"meets_every_weeks": 10**6}) for a in TODAY.values())
    standing = MODELS["model1"].model_copy(update={"arenas": (group, *silent)})
    seeds = range(24)
    reached = 0
    for seed in seeds:
        m = CoordinationModel(standing, rng=seed)
        m.run_weeks(260)
        pairs = _group_pairs(m)
        top = pairs[m.state.level[pairs] == TOP_STEP]
        if len(top):
            reached += 1
            m.world.ar_meet_every[0] = 10**6  # the arena stops meeting
            m.run_weeks(52)
            assert (m.state.level[top] < TOP_STEP).all()  # its top relations are no longer kept up
    assert reached >= len(seeds) / 2, f"step-4 pairs within five years in {reached} of {len(seeds)} seeds"


def test_strategic_coordination_depends_on_membership_and_the_leads_responsibility_without_rights():
    # 000 table 4: model 1 "middels: noe sterkere enn i dag, men forankret først og fremst i helsesektoren";
    # 004 §4.2: the lead aligns the members' steering signals ("samordning av styringssignaler")
    # 100 seeds: with the calibrated defaults the lead's part is small (about +0.003 in the last year's mean)
    seeds = range(100)
    model1 = MODELS["model1"]
    full = _last_year(model1, seeds, "strategic_coordination")
    health = _last_year(_with_arena(model1, members=("Hdir", "FHI", "Helsetilsynet")), seeds, "strategic_coordination")
    no_lead = _last_year(_with_arena(model1, coordinating_responsibility=0.0), seeds, "strategic_coordination")
    assert model1.arenas[0].decision_rights_from_week is None
    assert _below(health, full)
    assert _below(no_lead, full)


def _carried_completions(model, first: int, last: int) -> int:
    book = model.assignments()
    done = book[(book["status"] == "completed") & (book["arena"] != "") & (book["closed_week"] >= first)
                & (book["closed_week"] < last)]
    return len(done)


def test_a_new_programme_takes_time_to_deliver_even_with_no_set_up_time():
    # 000 model 2: "kan ta tid før bedre samordning oppnås" -- from maturity, not from a declared set-up time
    board = MODELS["model2"].arenas[0].model_copy(update={"setup_weeks": 0, "decision_rights_from_week": 0})
    programme = MODELS["model2"].model_copy(update={"arenas": (board,)})
    first, later = [], []
    for seed in range(20):
        m = CoordinationModel(programme, rng=seed)
        m.run_weeks(4 * 52)
        first.append(_carried_completions(m, 0, 52))
        later.append(_carried_completions(m, 3 * 52, 4 * 52))
    assert _below(np.array(first, float), np.array(later, float))


def test_rights_given_to_an_immature_arena_decide_shallowly():
    # 000 model 3: "for prematurt å legge føringer ... før den har satt seg og er moden til å håndtere dette"
    def depths(rights_from: int) -> list[float]:
        board = MODELS["model2"].arenas[0].model_copy(update={"setup_weeks": 0, "decision_rights_from_week": rights_from})
        programme = MODELS["model2"].model_copy(update={"arenas": (board,)})
        out = []
        for seed in range(20):
            m = CoordinationModel(programme, rng=seed)
            m.run_weeks(rights_from + 104)
            s, n = m.state, int(m.state.counters[0])
            decided = (s.a_arena[:n] == 0) & (s.a_phase[:n] >= 2)
            # decisions taken in the first two years of rights: those issued then that have left the decision phase
            window = decided & (s.a_issued[:n] >= rights_from) & (s.a_issued[:n] < rights_from + 104)
            out.append(float(s.a_depth[:n][window].mean()))
        return out

    assert _below(np.array(depths(0)), np.array(depths(104)))


def test_scaled_up_arenas_of_today_do_not_count_as_existing_structures():
    # 000 table 6: model 3 "vil dermed gå på tvers av dagens struktur fremfor å bygge videre på eksisterende
    # strukturer"; a structure identical to today scores as today
    seeds = range(12)
    today = _last_year("baseline", seeds, "use_of_existing_structures")
    assert (today == 1.0).all()
    scaled = MODELS["model3"]
    for k in range(len(scaled.arenas)):
        scaled = _with_arena(scaled, k, meets_every_weeks=2, secretariat_py=scaled.arenas[k].secretariat_py + 1.0)
    assert _below(_last_year(scaled, seeds, "use_of_existing_structures"), today)
    # the same two arenas only meeting more often and with more secretariat, coordinating nothing new, still do not
    bigger = MODELS["baseline"].model_copy(update={"arenas": tuple(
        TODAY[name].model_copy(update={"meets_every_weeks": 2, "secretariat_py": TODAY[name].secretariat_py + 1.0})
        for name in ("KUBU core group", "Agencies' collaboration (etatssamarbeidet)"))})
    assert _below(_last_year(bigger, seeds, "use_of_existing_structures"), today)
