"""The streamed plan and the compact plan index give what holding every spec gave.

A batch draws its plan one spec at a time and puts its tables in order with a
:class:`~sim.experiments.batch.specs.PlanIndex`; these tests hold them to the definition: every
(set-up, replication) once, at its first occurrence, in group order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiments.batch.specs import FinishedRuns, PlanIndex, groups, plan, planned_runs, run_spec
from sim.experiments.batch.store import ChunkStore, write_chunk
from sim.experiments.batch.tables import collect_runs, current_points
from sim.experiments.batch.work import Outcome, identity_row
from sim.experiments.scenario import scenario_from_dict
from sim.simulation.metrics import METRICS

REPEATED = scenario_from_dict({"name": "plan", "structures": ["baseline", "model2"], "replications": 3, "weeks": 4,
                               "design": {"kind": "grid", "values": {"turnover_rate": [0.1, 0.2, 0.1]}}})


def by_definition(scenario, replications):
    """Every group's replications, each run kept where its id first occurs."""
    fixed = scenario.replications
    first: dict[str, object] = {}
    for structure, measures, point, params in groups(scenario):
        for r in range((replications or {}).get((structure, measures, point), fixed)):
            spec = run_spec(scenario, structure, measures, point, params, r)
            first.setdefault(spec.run_id, spec)
    return list(first.values())


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 5), min_size=6, max_size=6), st.lists(st.booleans(), min_size=6, max_size=6))
def test_the_streamed_plan_is_every_run_once_at_its_first_occurrence(counts, overridden):
    keys = [(s, m, k) for s, m, k, _ in groups(REPEATED)]
    replications = {key: n for key, n, on in zip(keys, counts, overridden, strict=True) if on}
    streamed = list(planned_runs(REPEATED, replications))
    assert streamed == by_definition(REPEATED, replications)
    assert len({s.run_id for s in streamed}) == len(streamed)
    assert plan(REPEATED, replications) == streamed


def test_the_plan_index_places_each_run_and_rejects_others():
    specs = plan(REPEATED)
    index = PlanIndex.of(iter(specs))
    assert len(index) == len(specs) == 12  # the repeated point 0.1 adds no runs
    shuffled = [specs[k] for k in np.random.default_rng(3).permutation(len(specs))]
    at = index.locate([s.run_id for s in shuffled])
    assert list(index.order[at]) == [specs.index(s) for s in shuffled]
    assert list(index.points[at]) == [s.point for s in shuffled]
    assert index.varied == ("turnover_rate",)
    assert list(index.locate(["0123456789abcdef", specs[0].run_id])) == [-1, int(np.flatnonzero(index.order == 0)[0])]
    assert list(PlanIndex.of([]).locate(["0123456789abcdef"])) == [-1]
    frame = pd.DataFrame({"run_id": [specs[5].run_id, "ffffffffffffffff"]})
    assert list(current_points(frame, index)) == [specs[5].point, -1]


def _row(spec, value):
    return {**identity_row(spec), **{m: value for m in METRICS}}


def test_collected_runs_are_in_plan_order_once_each_first_chunk_first(tmp_path):
    specs = plan(REPEATED)
    store = ChunkStore(tmp_path)
    stranger = run_spec(REPEATED, "model3", (), 0, {}, 0)  # saved, but not in this plan
    chunks = [[specs[7], specs[2], stranger, specs[2]], [specs[2], specs[0]], [specs[11]]]
    for n, task in enumerate(chunks):
        outcome = Outcome(rows=[_row(s, 10.0 * n + k) for k, s in enumerate(task)])
        written = write_chunk(tmp_path, outcome, {"f": 1})
        store.register(written, {"f": 1}, "key")
        store.chunks[f"{n}-{written.chunk}"] = store.chunks.pop(written.chunk)  # sorted names: the order written
    runs, source = collect_runs(store, sorted(store.chunks), PlanIndex.of(specs))
    assert list(runs["run_id"]) == [specs[0].run_id, specs[2].run_id, specs[7].run_id, specs[11].run_id]
    assert list(runs[METRICS[0]]) == [11.0, 1.0, 0.0, 20.0]  # specs[2]: its first copy, in the first chunk
    assert list(source) == [1, 0, 0, 2]
    assert list(runs["point"]) == [specs[k].point for k in (0, 2, 7, 11)]
    assert runs["turnover_rate"].notna().all()
    assert list(runs.columns[:6]) == ["run_id", "structure", "measures", "point", "replication", "seed"]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 40), max_size=12), max_size=12),
       st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 40), max_size=20), st.sampled_from([1, 3, 4096]))
def test_the_finished_runs_answer_as_a_set_of_their_ids_would(commits, asked, merge_at):
    finished, reference = FinishedRuns(), set()
    finished.MERGE_AT = merge_at  # small: the merges into the sorted ids happen within a few commits
    for commit in commits:
        ids = [f"{k:016x}" for k in commit]
        finished.update(ids)
        reference.update(ids)
        assert len(finished) == len(reference)
        for key in [*asked, *commit]:
            assert (f"{key:016x}" in finished) == (f"{key:016x}" in reference)
