"""``run_search``: the multi-objective search loop, resumable, on the batch runner's folder and backends.

Each generation pymoo's mixed-variable genetic algorithm (NSGA-II's rank-and-crowding survival,
or NSGA-III's reference directions) proposes candidates; their runs not yet in the folder are run
by the batch runner's executors (local workers or Dask) and committed as chunks; their scores
go back to the algorithm.  The algorithm's random stream is seeded and its only input is the
scores, which are a function of the committed runs, so a search killed at any point and resumed
replays the generations already judged from the folder and goes on to the same front.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pymoo.algorithms.moo.nsga2 import RankAndCrowdingSurvival
from pymoo.algorithms.moo.nsga3 import ReferenceDirectionSurvival
from pymoo.core.evaluator import Evaluator
from pymoo.core.mixed import MixedVariableGA
from pymoo.core.problem import Problem
from pymoo.core.termination import NoTermination
from pymoo.problems.static import StaticProblem
from pymoo.util.ref_dirs import get_reference_directions

from sim.simulation.metrics import AT_HORIZONS

from ..batch.errors import Interrupted
from ..batch.executors import check_client, dask_workers
from ..batch.folder import ResultFolder
from ..batch.run import run_specs, stopping, usable_workers
from ..batch.shutdown import Shutdown
from ..batch.specs import RunSpec
from ..designs import design_points
from ..runner import output_path
from ..scenario import Scenario, ScenarioError
from ..structural import value_of
from .outputs import OUTPUTS, Presenter, SearchResult, write_outputs
from .scores import SCORED, objectives, scores
from .space import Candidate, candidate_specs, decode, references, variables


def run_search(scenario: Scenario, *, out: str | Path | None = None, workers: int | None = None, client: Any = None,
               resume: bool = False, quiet: bool = True, scenario_text: str | None = None, rerun_stale: bool = False,
               task_size: int | None = None, present: Presenter | None = None) -> SearchResult:
    """Search the scenario's ``[search]`` space; write the candidates and the front to ``out``.

    ``present`` writes the front's figure and the report page as well (``sim search`` passes
    :func:`sim.analysis.report.search.write_search_report`).

    Raises the batch runner's errors: :class:`~sim.experiments.batch.BatchConflict` for a folder that holds other
    results, :class:`~sim.experiments.batch.Interrupted` on SIGINT/SIGTERM (what was judged is saved: resume it).
    """
    if not isinstance(scenario, Scenario) or scenario.search is None:
        raise ScenarioError("sim search needs a scenario with a [search] table (see docs/SCENARIOS.md, 'Searching "
                            "for structures').")
    if not variables(scenario):
        raise ScenarioError("search: nothing to choose: give several structures, a search.space field with several "
                            "choices or a range, or search.measures.")
    if not isinstance(resume, bool) or not isinstance(rerun_stale, bool):
        raise ValueError(f"run_search: resume and rerun_stale must be True or False, got {resume!r} and {rerun_stale!r}.")
    check_client(client, "run_search")
    workers = usable_workers(workers)
    root = output_path(out, "run_search: out") if out is not None else scenario.output_dir
    folder = ResultFolder(root)
    backend = "dask" if client is not None else ("processes" if workers > 1 else "serial")
    folder.open(scenario, resume=resume, rerun_stale=rerun_stale, backend=backend,
                workers=dask_workers(client) if client is not None else workers, scenario_text=scenario_text)
    for name in OUTPUTS:  # what an earlier invocation concluded no longer holds once this one changes the folder
        (root / name).unlink(missing_ok=True)
    judge = Judge(scenario, folder, workers, client, task_size)
    with stopping(folder, lambda: (len(folder.finished), len(judge.specs()))) as shutdown:
        judge.shutdown = shutdown
        _search(scenario, judge, quiet)
        if shutdown.requested is None:  # never conclude from a generation cut short
            folder.finish(scenario, judge.specs(), {})
            result = write_outputs(scenario, root, judge.table(), judge.runs_of, folder.manifest, present)
            if shutdown.requested is None:
                return result
        raise Interrupted(shutdown.requested, root, len(folder.finished), len(judge.specs()))


def _algorithm(scenario: Scenario) -> MixedVariableGA:
    search = scenario.search
    if search.algorithm == "nsga3":
        # Riesz s-energy directions, one per candidate, drawn from the search's seed
        directions = get_reference_directions("energy", search.objectives, search.population,
                                              random_state=np.random.default_rng(search.seed))
        survival = ReferenceDirectionSurvival(directions)
    else:
        survival = RankAndCrowdingSurvival()
    return MixedVariableGA(pop_size=search.population, survival=survival)


def _search(scenario: Scenario, judge: Judge, quiet: bool) -> None:
    """References first, then ``generations`` rounds of ask, judge, tell."""
    search = scenario.search
    judge.judge(references(scenario), 0, quiet)
    problem = Problem(vars=variables(scenario), n_obj=search.objectives, n_ieq_constr=1)
    algorithm = _algorithm(scenario)
    algorithm.setup(problem, termination=NoTermination(), seed=search.seed)
    for generation in range(1, search.generations + 1):
        population = algorithm.ask()
        if population is None or len(population) == 0:  # a finite space whose every candidate has been judged
            if not quiet:
                print(f"generation {generation}: no candidate left that has not been judged; the search stops",
                      flush=True)
            return
        candidates = [decode(scenario, x) for x in population.get("X")]
        table = judge.judge(candidates, generation, quiet)
        if judge.shutdown.requested is not None:
            return  # scores of a generation cut short would steer the algorithm: never tell them
        failed = table["n_failed"].to_numpy(float)[:, None]
        matrix = objectives(table, search)
        matrix[~np.isfinite(matrix)] = 0.0  # a candidate with failed runs is infeasible (G > 0), whatever F says
        Evaluator().eval(StaticProblem(problem, F=matrix, G=failed), population)
        algorithm.tell(infills=population)


class Judge:
    """Scores candidates from their runs, running those the folder does not hold yet."""

    def __init__(self, scenario: Scenario, folder: ResultFolder, workers: int, client: Any,
                 task_size: int | None) -> None:
        self.scenario, self.folder, self.workers, self.client, self.task_size = scenario, folder, workers, client, task_size
        self.shutdown: Shutdown | None = None
        self.rows: dict[str, dict[str, Any]] = {}  # run_id -> the point and scored outcomes of a finished run
        self._read: set[str] = set()
        self._judged: dict[str, dict[str, Any]] = {}  # candidate key -> its row
        self._specs: dict[str, list[RunSpec]] = {}
        self.points = design_points(scenario.design, scenario.parameters)  # every candidate's uncertainty sample

    def specs(self) -> list[RunSpec]:
        """Every run of every candidate judged, in the order they were first asked for (no repeats)."""
        return list({s.run_id: s for specs in self._specs.values() for s in specs}.values())

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(list(self._judged.values()))

    def judge(self, candidates: list[Candidate], generation: int, quiet: bool) -> pd.DataFrame:
        """One row per candidate (in order), running what is missing first."""
        started = time.perf_counter()
        new = [c for c in dict.fromkeys(candidates) if c.key not in self._judged]
        for c in new:
            if c.key not in self._specs:
                self._specs[c.key] = candidate_specs(self.scenario, c, self.points)
        todo = [s for c in new for s in self._specs[c.key] if s.run_id not in self.folder.finished]
        todo = list({s.run_id: s for s in todo}.values())
        if todo:
            run_specs(todo, self.scenario, self.folder, self.workers, self.client, True, len(todo), self.task_size,
                      self.scenario.run_time_limit, self.shutdown, missing=len(todo))
        if self.shutdown is not None and self.shutdown.requested is not None:
            return pd.DataFrame()
        self._read_new_chunks()
        for c in new:
            self._judged[c.key] = self._row(c, generation)
        if not quiet:
            print(f"generation {generation}: {len(candidates)} candidates, {len(new)} new, {len(todo)} runs in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)
        return pd.DataFrame([self._judged[c.key] for c in candidates])

    def runs_of(self, candidate: Candidate) -> pd.DataFrame:
        """The candidate's finished runs: design point (the spec's), scored outcomes and the criteria at each horizon."""
        found = [{**self.rows[s.run_id], "point": s.point} for s in self._specs[candidate.key] if s.run_id in self.rows]
        reached = [c for c in AT_HORIZONS if any(c in row for row in found)]
        return pd.DataFrame(found, columns=["point", *SCORED, *reached])

    def _read_new_chunks(self) -> None:
        store = self.folder.store
        fresh = [c for c in store.chunks if c not in self._read]
        for frame in store.read(fresh, "runs"):
            frame = frame[["run_id", "point", *SCORED, *(c for c in AT_HORIZONS if c in frame)]]
            for row in frame.to_dict("records"):
                row.pop("point")  # the spec's point is the one that counts (runs_of)
                self.rows[row.pop("run_id")] = row
        self._read.update(fresh)

    def _row(self, candidate: Candidate, generation: int) -> dict[str, Any]:
        runs = self.runs_of(candidate)
        organisation = candidate.organisation(self.scenario)
        row: dict[str, Any] = {"candidate": candidate.key, "generation": generation,
                               "reference": generation == 0, "structure": candidate.structure,
                               "measures": ",".join(candidate.measures),
                               **{n: value_of(organisation, n) for n in self.scenario.search.space},
                               "n_runs": len(runs), "n_failed": len(self._specs[candidate.key]) - len(runs)}
        row |= scores(runs, self.scenario.search) if len(runs) else {f"{n}_mean": math.nan for n in SCORED}
        row["_candidate"] = candidate
        return row
