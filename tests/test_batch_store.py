"""What a batch writes: the chunk store's index (a snapshot plus an append-only journal, and what a kill
can leave of it), Parquet tables streamed into their files, and summaries reduced in blocks."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.experiments.batch.store import ChunkStore, Written


def _written(n: int) -> Written:
    return Written(f"chunk-{n}", {"runs": {"name": f"runs-chunk-{n}.parquet", "rows": n, "sha256": "0" * 64}},
                   [f"run-{n}"], 0)


def _loaded(directory) -> ChunkStore:
    store = ChunkStore(directory)
    store.load()
    return store


def test_commits_are_appended_and_a_snapshot_folds_them_in(tmp_path):
    store = ChunkStore(tmp_path)
    store.save()
    index = (tmp_path / "index.json").read_bytes()
    for n in range(3):
        store.register(_written(n), {"scenario": "a"}, "key-a")
    store.register(_written(3), {"scenario": "b"}, "key-b")
    assert (tmp_path / "index.json").read_bytes() == index  # a commit no longer rewrites the index
    lines = (tmp_path / "journal.jsonl").read_bytes().splitlines()
    assert len(lines) == 5 and sum(b"fingerprints" in line for line in lines) == 2  # each fingerprint once
    again = _loaded(tmp_path)
    assert again.chunks == store.chunks and set(again.fingerprints) == {"key-a", "key-b"}
    again.remove(["chunk-1"])
    again.save()
    assert not (tmp_path / "journal.jsonl").exists()
    assert set(_loaded(tmp_path).chunks) == {"chunk-0", "chunk-2", "chunk-3"}
    again.register(_written(4), {"scenario": "a"}, "key-a")
    assert set(_loaded(tmp_path).chunks) == {"chunk-0", "chunk-2", "chunk-3", "chunk-4"}
    assert _loaded(tmp_path).fingerprints == {"key-a": {"scenario": "a"}, "key-b": {"scenario": "b"}}


@settings(max_examples=60, deadline=None)
@given(cut=st.integers(min_value=0, max_value=10**6))
def test_a_journal_cut_anywhere_commits_exactly_its_whole_lines(tmp_path_factory, cut):
    # a kill during an append leaves a prefix of the journal: a chunk counts iff its line is whole
    folder = tmp_path_factory.mktemp("store")
    store = ChunkStore(folder)
    store.save()
    for n in range(4):
        store.register(_written(n), {"scenario": "a"}, "key-a")
    journal = folder / "journal.jsonl"
    data = journal.read_bytes()
    cut %= len(data) + 1
    journal.write_bytes(data[:cut])
    whole = data[:cut].count(b"\n") - 1  # the first line names the journal
    survivor = _loaded(folder)
    assert sorted(survivor.chunks) == [f"chunk-{n}" for n in range(max(whole, 0))]
    survivor.register(_written(9), {"scenario": "a"}, "key-a")  # the next commit replaces the torn line
    assert sorted(_loaded(folder).chunks) == [*(f"chunk-{n}" for n in range(max(whole, 0))), "chunk-9"]
    assert _loaded(folder).fingerprints == {"key-a": {"scenario": "a"}}


def test_a_journal_the_snapshot_does_not_name_is_ignored(tmp_path):
    # killed after a new snapshot was written and before its journal began: the old journal's
    # chunks are in the snapshot, or were removed on purpose, and must not come back
    store = ChunkStore(tmp_path)
    store.save()
    for n in range(2):
        store.register(_written(n), {"scenario": "a"}, "key-a")
    old_journal = (tmp_path / "journal.jsonl").read_bytes()
    store.remove(["chunk-0"])
    store.save()
    (tmp_path / "journal.jsonl").write_bytes(old_journal)
    assert sorted(_loaded(tmp_path).chunks) == ["chunk-1"]


def test_an_index_written_before_the_journal_existed_still_loads(tmp_path):
    entry = {"fingerprint": "key-a", "files": _written(0).files}
    (tmp_path / "index.json").write_text(json.dumps({"chunks": {"chunk-0": entry},
                                                     "fingerprints": {"key-a": {"scenario": "a"}}}))
    store = _loaded(tmp_path)
    assert store.chunks == {"chunk-0": entry} and not store.index_lost
    store.register(_written(1), {"scenario": "a"}, "key-a")
    assert sorted(_loaded(tmp_path).chunks) == ["chunk-0", "chunk-1"]


def test_a_parquet_file_is_streamed_to_disk_with_the_checksum_of_its_bytes(tmp_path):
    import hashlib

    import numpy as np
    import pandas as pd
    import pyarrow.parquet as pq

    from sim.experiments.runner import ROW_GROUP, write_parquet_atomic

    n = 2 * ROW_GROUP + 5  # three row groups, the last one short
    frame = pd.DataFrame({"run_id": [f"r{k}" for k in range(n)], "value": np.arange(n) / 7.0})
    path = tmp_path / "runs.parquet"
    sha = write_parquet_atomic(frame, path, {"sim.fingerprint": "{}"})
    assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
    assert pq.ParquetFile(path).num_row_groups == 3
    assert pq.read_schema(path).metadata[b"sim.fingerprint"] == b"{}"
    pd.testing.assert_frame_equal(pd.read_parquet(path), frame)
    assert [p.name for p in tmp_path.iterdir()] == ["runs.parquet"]  # no temporary left


def test_summaries_are_the_same_whatever_block_the_values_are_reduced_in(monkeypatch):
    import numpy as np
    import pandas as pd

    from sim.experiments.batch import tables
    from sim.experiments.intervals import ci_half_width
    from sim.simulation.metrics import METRICS

    rng = np.random.default_rng(3)
    n = 301
    runs = pd.DataFrame(rng.normal(size=(n, len(METRICS))) * 1e3, columns=list(METRICS))
    runs.insert(0, "structure", np.array(["a", "b", "c"], dtype=object)[rng.integers(0, 3, n)])
    runs.loc[0, "structure"] = "d"  # a group of one run: no interval
    whole = tables.summarise(runs, ["structure"])
    monkeypatch.setattr(tables, "SUMMARY_BLOCK", 7)  # a few outcomes at a time, one at a time for large groups
    pd.testing.assert_frame_equal(tables.summarise(runs, ["structure"]), whole, check_exact=True)
    assert list(dict.fromkeys(whole["structure"])) == list(dict.fromkeys(runs["structure"]))  # groups first seen first
    one = whole[(whole["structure"] == "b") & (whole["outcome"] == METRICS[5])].iloc[0]
    values = runs.loc[runs["structure"] == "b", METRICS[5]].to_numpy()
    assert one["mean"] == values.mean() and one["std"] == values.std(ddof=1) and one["n"] == len(values)
    assert np.isclose(one["ci95_high"] - one["mean"], ci_half_width(values), rtol=1e-12)
    assert whole.loc[whole["structure"] == "d", "std"].isna().all()
