"""The Mesa model: ministries, directorates, regional offices and municipalities exchanging assignments."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import mesa
import numpy as np
import pandas as pd

from . import agents as ag
from . import core
from . import rng as counter_rng
from .checks import MAX_SEED, MAX_WEEKS, shown, whole_number
from .core import advance_weeks, entry_point, weekly
from .datasets import (
    DATASETS,
    RER_POTS,
    SIZE_CLASS_NAMES,
    Actors,
    load_municipalities,
    shipped_actors,
    synthetic_municipalities,
)
from .kernels.observation import measure
from .metrics import CRITERIA, METRICS, SECTORS
from .parameters import Params, validate
from .state import PHASES, STATUSES, TOP_STEP, WEEKS_PER_YEAR, State, grow, initial_state, max_new_assignments
from .structs import as_struct
from .structures import CHANNELS, Measure, OrganisationModel, arenas_of, check_measures, check_structure
from .world import DIRECTORATE, MINISTRY, World, build_world

ENGINES = ("numba", "python")


def read_metric(model: CoordinationModel, index: int) -> float:
    """DataCollector reporter: one metric of the current week (module level, so it pickles)."""
    return float(model.state.metrics[index])


class MetricCollector(mesa.DataCollector):
    """The model's own DataCollector: every metric of :data:`METRICS`, one row per week, keyed by the week.

    Each reporter is a :func:`read_metric` partial, so Mesa's generic path (call and deep-copy
    each reporter) would give the same values; this one appends them from the metric array in one
    go (~10x faster), and whole runs of weeks at once (:meth:`extend`), which is what lets the
    model build it only when first asked for.  It records the week of each row where Mesa's
    ``collect`` records its clock (``_collection_steps``: Mesa 3.4.2+'s ``batch_run`` reads the rows
    by it), so the rows are keyed by week however the weeks were run.  Other reporters belong in a
    DataCollector of your own (``model.datacollector = mesa.DataCollector(...)``).
    """

    def __init__(self) -> None:
        super().__init__(model_reporters={name: partial(read_metric, index=k) for k, name in enumerate(METRICS)})
        self._collection_steps: list[int] = []  # the list Mesa 3.4.2+ keeps (3.3 keeps none)

    def collect(self, model: CoordinationModel) -> None:
        self.extend(model.week, model.state.metrics[np.newaxis])

    def extend(self, first_week: int, rows: np.ndarray) -> None:
        """Append weeks ``first_week ..`` of metrics (rows of :data:`METRICS`), as collecting each week would."""
        if list(self.model_reporters) != list(METRICS) or self.agent_reporters or self.agenttype_reporters:
            raise ValueError("the model's DataCollector collects its metrics only; for other reporters assign a "
                             "DataCollector of your own: model.datacollector = mesa.DataCollector(...).")
        for name, column in zip(METRICS, rows.T.tolist(), strict=True):
            self.model_vars[name].extend(column)
        self._collection_steps.extend(range(first_week, first_week + len(rows)))


@dataclass(slots=True)
class _WeekByWeek:
    """The compiled generator ``step()`` advances, the arrays it was started on, and the week it runs next."""

    week: int
    state: State
    world: World
    params: Params
    open_in_arena: np.ndarray
    weeks: Iterator[int]


class CoordinationModel(mesa.Model):
    """Cross-sector coordination of drug prevention under one national organisation model.

    Each step is one week.  Ministries issue assignments (oppdrag) on the annual
    allocation-letter cycle and ad hoc; directorates work them through the phases
    initiative -> decision -> implementation -> operation; Statsforvalteren carries
    them to municipalities; every pair of state actors climbs and slips on the
    coordination staircase (samordningstrappa) as it works together or drifts apart.

    Args:
        structure: organisation model: ``baseline``, ``model1``, ``model2`` or ``model3``, or an
            :class:`~sim.structures.OrganisationModel` built in code (e.g. a temporary programme).
        measures: measures of seed 002 §5.4 switched on, combinable with any model: names, or a mapping of
            name -> :class:`~sim.structures.Measure` for measures built in code.
        engine: ``"numba"`` (compiled kernels) or ``"python"`` (the same rules in the agents' methods).
        municipalities: a shipped dataset, ``"norway"`` (default: SSB table 07459, 1 January 2024) or
            ``"synthetic"`` (the synthetic stand-in), a CSV path or a DataFrame (docs/DATA.md).
        n_municipalities: if given, a scaled set of this many municipalities instead, copied from the
            default set (:func:`~sim.simulation.datasets.synthetic_municipalities`).
        horizon_weeks: if given, ``running`` turns False after this many weeks.
        mandate_change_week: the scenario's premise about a change of mandate (seed 000 model 3):
            the week from which arenas whose decision rights wait for it hold them; ``None``
            (the default, the report's premise) means no change.
        rer_pot: how a municipality file shares the national 100 MNOK RER grant (002 §RER):
            ``"national"`` by the national key (a regional subset keeps its national amounts),
            ``"loaded"`` over the rows loaded.
        seed, rng: passed to :class:`mesa.Model`; all randomness derives from them.
        **parameters: behavioural parameters of :data:`sim.parameters.PARAMETERS`.
    """

    def __init__(
        self,
        structure: str | OrganisationModel = "baseline",
        measures: Sequence[str] | Mapping[str, Measure] = (),
        *,
        engine: str = "numba",
        municipalities: str | os.PathLike[str] | pd.DataFrame = "norway",
        n_municipalities: int | None = None,
        horizon_weeks: int | None = None,
        mandate_change_week: int | None = None,
        rer_pot: str = "national",
        seed: int | None = None,
        rng: Any = None,
        **parameters: float,
    ) -> None:
        seed = _seed("seed", seed)
        rng = _rng(rng)
        if seed is not None and rng is not None:
            raise ValueError("pass either rng or seed, not both (rng is Mesa's keyword; seed is kept for older code).")
        # rng= only: Mesa 3.5 deprecates seed= and Mesa 4 removes it; a whole number gives Mesa the same generators
        super().__init__(rng=seed if rng is None else rng)
        organisation = check_structure(structure)
        measure_set = check_measures(measures)
        self.measures = tuple(measure_set)
        self.arena_names = tuple(a.name for a in arenas_of(organisation, measure_set))
        if engine not in ENGINES:
            raise ValueError(f"engine {shown(engine)} is not known. Allowed: {', '.join(ENGINES)}.")
        if horizon_weeks is not None:
            horizon_weeks = whole_number(horizon_weeks, "horizon_weeks", 1, also=", or None")
        if mandate_change_week is not None:
            mandate_change_week = whole_number(mandate_change_week, "mandate_change_week", 0, MAX_WEEKS,
                                               also=", or None (no change)")
        self.mandate_change_week = mandate_change_week
        self.params = validate(parameters)
        self.structure = structure if isinstance(structure, str) else organisation.title
        self.engine = engine
        self.horizon_weeks = horizon_weeks
        self._actors = _actors(municipalities, n_municipalities, rer_pot)
        world = build_world(self._actors, organisation, measure_set, self.params, counter_rng.world_key(self.rng),
                            mandate_change_week)
        self._start(world)

    def _start(self, world: World) -> None:
        """Week 0 on ``world``: the initial state, measured once.

        The Mesa agents and the DataCollector are built when first asked for (a batch run never
        asks, and 400 agent objects cost more than a short run); the weekly metrics are kept as
        arrays meanwhile, so both give exactly what building them up front gave.
        """
        self.world = world
        self.state = initial_state(world, self.params, len(METRICS))
        self._open_in_arena = np.zeros(len(world.ar_lead), np.int64)
        self._weekly: _WeekByWeek | None = None  # the week-by-week generator (see _next_week)
        self._structs: tuple[World, State, Any, Any] | None = None  # the kernels' structs of both (see _structs_of)
        self._state_actors: list[ag.StateActor] | None = None
        self._municipality_agents: list[ag.Municipality] | None = None
        self._collector: mesa.DataCollector | None = None
        self._week = 0  # counted here, not by Mesa's clock: run_weeks advances many weeks in one call
        if self.engine == "numba":
            measure(*self._structs_of(self.state), 0)
        else:
            measure.py_func(world, self.state, 0)
        self._history: list[np.ndarray] = [self.state.metrics.copy()]
        if self.engine == "python":  # the reference engine is the agents' own methods
            self._create_agents()

    def __getstate__(self) -> dict[str, Any]:
        """What pickles: all but the compiled generator and structs, which are made again."""
        return {**self.__dict__, "_weekly": None, "_structs": None}

    def replicate(self, rng: Any) -> CoordinationModel:
        """The same structure, data and parameters from week 0 with another seed, sharing the static world.

        Gives exactly what constructing the model again with ``rng=rng`` gives (``tests/test_replications.py``)
        without building the world again; :func:`sim.replications.run_replications` runs many at once.
        """
        twin = type(self).__new__(type(self))
        mesa.Model.__init__(twin, rng=_rng(rng))
        for name in ("measures", "arena_names", "mandate_change_week", "params", "structure", "engine",
                     "horizon_weeks", "_actors"):
            setattr(twin, name, getattr(self, name))
        twin._start(self.world._replace(key=counter_rng.world_key(twin.rng)))
        return twin

    # --- Mesa agents: readable views of the state arrays ---
    def _create_agents(self) -> None:
        w = self.world
        self._state_actors, self._municipality_agents = [], []  # set first: Mesa may look at the agents meanwhile
        actors = self._actors
        codes = [*actors.ministries["code"], *actors.directorates["code"], *actors.regional_offices["code"]]
        names = [*actors.ministries["name_en"], *actors.directorates["name"], *actors.regional_offices["name"]]
        for i, (code, name) in enumerate(zip(codes, names, strict=True)):
            cls = ag.Ministry if w.kind[i] == MINISTRY else ag.Directorate if w.kind[i] == DIRECTORATE else ag.RegionalOffice
            self._state_actors.append(cls(self, i, code, name))
        mun = actors.municipalities
        self._municipality_agents.extend(ag.Municipality(self, k, int(n), str(name))
                                         for k, (n, name) in enumerate(zip(mun["number"], mun["name"], strict=True)))
        # Mesa <= 3.3.1 keeps every model alive in the class-level Agent._ids counter (mesa#3179,
        # fixed upstream by mesa#3180); this model creates no agents after these, so release it now.
        getattr(mesa.Agent, "_ids", {}).pop(self, None)

    @property
    def actors(self) -> Actors:
        """The actor tables this model was built from: a copy to read or change (the model keeps its own)."""
        if "_actors_copy" not in self.__dict__:
            self._actors_copy = self._actors.copy()
        return self._actors_copy

    def _agents_built(self) -> None:
        if self.__dict__.get("_state_actors", []) is None:
            self._create_agents()

    @property
    def state_actors(self) -> list[ag.StateActor]:
        """Ministries, directorates and regional offices in index order (the rows of the state arrays)."""
        self._agents_built()
        return self._state_actors

    @property
    def municipality_agents(self) -> list[ag.Municipality]:
        """The municipalities in row order."""
        self._agents_built()
        return self._municipality_agents

    @property
    def agents(self) -> mesa.agent.AgentSet:
        """Mesa's AgentSet of every agent (built on first use)."""
        self._agents_built()
        return super().agents

    @property
    def agent_types(self) -> list[type]:
        """Mesa's agent classes present (building the agents on first use)."""
        self._agents_built()
        return super().agent_types

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], mesa.agent.AgentSet]:
        """Mesa's AgentSet per agent class (building the agents on first use)."""
        self._agents_built()
        return super().agents_by_type

    @property
    def datacollector(self) -> mesa.DataCollector:
        """Mesa's DataCollector holding every week's metrics, built on first use from the weeks run so far.

        Assign another DataCollector to collect other reporters; :meth:`step` collects into it.
        """
        if self._collector is None:
            collector = MetricCollector()
            collector.extend(0, self.metric_history())
            self._collector = collector
        return self._collector

    @datacollector.setter
    def datacollector(self, collector: mesa.DataCollector) -> None:
        self._collector = collector

    def metric_history(self) -> np.ndarray:
        """Every week's metrics so far, one row per week from week 0 (the columns of :data:`sim.metrics.METRICS`)."""
        if len(self._history) > 1:
            self._history = [np.vstack(self._history)]
        return np.atleast_2d(self._history[0])

    def weekly_metrics(self) -> pd.DataFrame:
        """:meth:`metric_history` as a table with a ``week`` column: what the DataCollector's table holds, faster."""
        table = pd.DataFrame(self.metric_history(), columns=list(METRICS))
        table.insert(0, "week", range(len(table)))
        return table

    @property
    def ministries(self) -> mesa.agent.AgentSet:
        """The ministries (departementer) as a Mesa AgentSet."""
        return self.agents_by_type[ag.Ministry]

    @property
    def directorates(self) -> mesa.agent.AgentSet:
        """The directorates and agencies (direktorater, etater) as a Mesa AgentSet."""
        return self.agents_by_type[ag.Directorate]

    @property
    def regional_offices(self) -> mesa.agent.AgentSet:
        """Statsforvalter offices and KoRus centres as a Mesa AgentSet."""
        return self.agents_by_type[ag.RegionalOffice]

    @property
    def municipalities(self) -> mesa.agent.AgentSet:
        """The municipalities (kommuner) as a Mesa AgentSet."""
        return self.agents_by_type[ag.Municipality]

    def municipality_table(self) -> pd.DataFrame:
        """One row per municipality now: size class, its relation to the state and local coordination steps,
        whether state support reached it in the last year, and its share in ``local_support``."""
        mun, s = self._actors.municipalities, self.state
        reached = (self.week - s.last_uptake) < WEEKS_PER_YEAR
        return pd.DataFrame({
            "municipality": mun["number"].to_numpy(np.int64), "name": mun["name"].astype(str).to_numpy(),
            "size_class": np.array(SIZE_CLASS_NAMES)[self.world.mu_size_class],
            "population": mun["population"].to_numpy(np.int64), "relation_level": s.m_level.astype(np.int64),
            "local_level": s.local_level.astype(np.int64), "reached_last_year": reached,
            "local_support": np.where(reached, s.local_level / TOP_STEP, 0.0)})

    # --- time ---
    @property
    def week(self) -> int:
        """Weeks simulated so far, by :meth:`step` or :meth:`run_weeks`."""
        return self._week

    def step(self) -> None:
        """Advance one week with the chosen engine, then measure and collect once."""
        week = self._week
        if self.engine == "numba":
            self._history.append(self._next_week(week) if core.STEP_GENERATOR else self._advance(week, 1)[0])
        else:
            self.state = self._grown(week, 1)
            ag.python_week(self, week)
            measure.py_func(self.world, self.state, week)
            self._history.append(self.state.metrics.copy())
        self._week += 1
        if self._collector is not None:
            self._collector.collect(self)
        if self.horizon_weeks is not None and self._week >= self.horizon_weeks:
            self.running = False

    def run_weeks(self, weeks: int) -> None:
        """Advance ``weeks`` weeks: the same rows in the DataCollector as ``weeks`` calls of :meth:`step`.

        The numba engine does it in one kernel call, into the model's own DataCollector if built;
        ``horizon_weeks`` is honoured.  Mesa 3's step counter (``steps``) advances with the weeks;
        Mesa's event clock (``time``, Mesa 3.5+) only with :meth:`step`, as running its event loop
        would cost as much as the weeks themselves.
        """
        weeks = whole_number(weeks, "run_weeks: weeks", 0, MAX_WEEKS)
        if self.horizon_weeks is not None:
            weeks = min(weeks, self.horizon_weeks - self._week)
        if weeks <= 0:
            return
        if self.engine == "python" or not isinstance(self._collector, MetricCollector | None):
            # the Python engine is the agents' own methods; a DataCollector of your own is asked every week
            for _ in range(weeks):
                self.step()
            return
        self._record(self._advance(self._week, weeks))

    def _advance(self, first_week: int, weeks: int) -> np.ndarray:
        """Weeks ``first_week ..`` in the numba kernel, the state grown for them first; their metrics, a row each.

        Only moves the state: :meth:`_record` (or :meth:`step`) books the weeks.  Runs without the GIL.
        """
        state = self._grown(first_week, weeks)
        history = np.empty((weeks, len(METRICS)))
        self.state = state
        args = (*self._structs_of(state), self.params, first_week, weeks, self._open_in_arena, history)
        entry_point(advance_weeks, *args)(*args)
        return history

    def _next_week(self, week: int) -> np.ndarray:
        """Week ``week`` in the numba kernel's week-by-week generator (:func:`~sim.core.weekly`); its metrics.

        The generator holds the arrays it was started on, so a new one starts whenever the week, the
        world, the state or the parameters are not the ones it holds (grown, replaced, or run by
        :meth:`run_weeks` meanwhile); arrays changed in place are seen as they are.
        """
        state = self._grown(week, 1)
        held = self._weekly
        if held is None or held.week != week or held.state is not state or held.world is not self.world \
                or held.params is not self.params or held.open_in_arena is not self._open_in_arena:
            self.state = state
            held = self._weekly = _WeekByWeek(week, state, self.world, self.params, self._open_in_arena,
                                              weekly(*self._structs_of(state), self.params, week, self._open_in_arena))
        next(held.weeks)
        held.week = week + 1
        return state.metrics.copy()

    def _structs_of(self, state: State) -> tuple[Any, Any]:
        """The world and ``state`` as the kernels take them (:mod:`sim.structs`), made again when either is replaced.

        A struct refers to the arrays themselves: changes made in place need none.
        """
        held = self._structs
        if held is None or held[0] is not self.world or held[1] is not state:
            held = self._structs = (self.world, state, as_struct(self.world), as_struct(state))
        return held[2], held[3]

    def _grown(self, first_week: int, weeks: int) -> State:
        """The state, its assignment arrays grown to hold what weeks ``first_week ..`` can issue."""
        return grow(self.state, int(self.state.counters[0]) + max_new_assignments(self.world, first_week, weeks))

    def _record(self, history: np.ndarray) -> None:
        """Book weeks :meth:`_advance` ran: the week count, the metric history, the DataCollector if built."""
        if self._collector is not None:
            self._collector.extend(self._week + 1, history)
        self._week += len(history)
        if "steps" in self.__dict__:  # Mesa 3 counts steps; Mesa 4 has no such counter
            self.steps += len(history)
        self._history.append(history)
        if self.horizon_weeks is not None and self._week >= self.horizon_weeks:
            self.running = False

    # --- outcomes ---
    def criteria(self) -> dict[str, float]:
        """The report's six criteria (seed 000, table 3), measured now."""
        return {name: float(self.state.metrics[k]) for k, name in enumerate(CRITERIA)}

    def outcomes(self) -> dict[str, float]:
        """Every metric, measured now: the criteria, staircase distribution, assignments, coverage, cost."""
        return {name: float(self.state.metrics[k]) for k, name in enumerate(METRICS)}

    def assignments(self) -> pd.DataFrame:
        """Every assignment issued so far, one row each (ids are issue order)."""
        w, s, n = self.world, self.state, int(self.state.counters[0])
        codes = [a.code for a in self.state_actors]
        return pd.DataFrame({
            "issuer": [codes[i] for i in s.a_issuer[:n]],
            "lead": [codes[i] for i in s.a_lead[:n]],
            "lead_sector": [SECTORS[w.owner[i]] for i in s.a_lead[:n]],
            "participants": [",".join(codes[j] for j in np.flatnonzero(row)) for row in s.a_participant[:n]],
            "arena": [self.arena_names[k] if k >= 0 else "" for k in s.a_arena[:n]],
            "adhoc": s.a_adhoc[:n].copy(),
            "channel": [CHANNELS[c] for c in s.a_channel[:n]],
            "pooled": s.a_pooled[:n].copy(),
            "phase": [PHASES[k] for k in s.a_phase[:n]],
            "status": [STATUSES[k] for k in s.a_status[:n]],
            "issued_week": s.a_issued[:n].copy(),
            "closed_week": s.a_closed[:n].copy(),
        })

    def time_use(self) -> pd.DataFrame:
        """Per state actor, its weekly capacity and the person-weeks it has given so far to assignments and to
        structures (meetings, staff it provides, consultation: ``sim.simulation.kernels.capacity``)."""
        codes = [a.code for a in self.state_actors]
        return pd.DataFrame({"actor": codes, "capacity_py": self.world.capacity.copy(),
                             "assignments_pw": self.state.worked.copy(), "structures_pw": self.state.committed.copy()})

    def relations(self) -> pd.DataFrame:
        """Every relation between state actors with its staircase step."""
        codes = [a.code for a in self.state_actors]
        w, s = self.world, self.state
        return pd.DataFrame({
            "a": [codes[i] for i in w.pair_i], "b": [codes[j] for j in w.pair_j],
            "level": s.level.copy(), "progress": s.progress.copy(), "idle_weeks": s.idle.copy(),
            "last_contact_week": s.last_contact.copy(),
            "in_arena": s.arena_link.copy(), "field": w.pair_field.copy(), "cross_sector": w.pair_cross.copy(),
        })


def _seed(what: str, value: Any) -> int | None:
    """A seed: None or a whole number in [0, 2**63 - 1] (numpy ints included), as a Python int."""
    if value is None:
        return None
    return whole_number(value, what, 0, MAX_SEED, also=", or None" + (", or a numpy Generator" if what == "rng" else ""))


def _rng(value: Any) -> Any:
    """Mesa's ``rng``: a numpy generator (or seed sequence, bit generator) as given, else a checked seed."""
    if isinstance(value, np.random.Generator | np.random.SeedSequence | np.random.BitGenerator):
        return value
    return _seed("rng", value)


def _actors(municipalities: str | os.PathLike[str] | pd.DataFrame, n_municipalities: int | None,
            rer_pot: str) -> Actors:
    base = shipped_actors()  # the actor tables, which every dataset shares
    if rer_pot not in RER_POTS:
        raise ValueError(f"rer_pot must be one of {', '.join(RER_POTS)}, got {shown(rer_pot)}.")
    if not isinstance(municipalities, str | os.PathLike | pd.DataFrame):
        raise ValueError(f"municipalities must be a dataset name ({', '.join(DATASETS)}), a CSV path or a DataFrame, "
                         f"got {shown(municipalities)}.")
    if n_municipalities is not None:
        table = synthetic_municipalities(whole_number(n_municipalities, "n_municipalities", 1, 10**6, also=", or None"))
    elif isinstance(municipalities, str) and municipalities in DATASETS:
        return shipped_actors(municipalities)  # parsed once per process, like the default
    else:
        table = load_municipalities(municipalities, rer_pot)
    return Actors(base.ministries, base.directorates, base.regional_offices, table)


__all__ = ["ENGINES", "CoordinationModel"]
