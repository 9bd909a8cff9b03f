"""`sim report` and `sim batch --report`: one self-contained report.html a modeler can mail."""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest

from sim import CRITERIA
from sim.analysis.report import ReportError, write_report
from sim.cli import main
from sim.experiments.batch import run_batch
from sim.experiments.orderings import report_verdicts
from sim.experiments.scenario import scenario_from_dict

SCENARIO = """\
name = "report_check"
description = "Two models for the report test."
structures = ["model2", "model3"]
measures = [[], ["state_support"]]
weeks = 60
replications = 2
seed = 17
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    scenario = scenario_from_dict({"name": "report_check", "description": "Two models for the report test.",
                                   "structures": ["model2", "model3"], "measures": [[], ["state_support"]],
                                   "weeks": 60, "replications": 2, "seed": 17})
    run_batch(scenario, out=out, workers=1)
    return out


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<style>" in page
    assert not re.search(r"""<link[^>]+stylesheet""", page)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<script" not in page


def test_sim_report_writes_one_self_contained_file(batch, capsys):
    assert main(["report", str(batch)]) == 0
    assert "report.html" in capsys.readouterr().out
    page = (batch / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    assert "report_check" in page and "Two models for the report test." in page
    for criterion in CRITERIA:
        assert criterion.replace("cross_sector", "cross-sector").replace("_", " ") in page
    figures = sorted(p.name for p in (batch / "figures").glob("*.png"))
    assert figures == ["assignments.png", "coverage.png", "criteria.png", "measures.png", "staircase.png"]
    assert page.count("data:image/png;base64,") >= len(figures)
    verdicts = report_verdicts()
    for word in set(verdicts.loc[verdicts["structure"].isin(["model2", "model3"]), "verdict"]):
        assert f"<span class='verdict'>{word}</span>" in page
    assert {"weak", "medium", "strong"} <= set(re.findall(r"<span class='verdict'>(\w+)</span>", page))
    assert "rank in this batch" in page and "1 of 2" in page and "2 of 2" in page
    assert "The formal rule" in page and "sim compare-report" in page  # points to where verdicts are judged


def test_the_report_says_what_was_run(batch):
    page = write_report(batch).read_text(encoding="utf-8")
    manifest = json.loads((batch / "manifest.json").read_text())
    for text in ("17", "60 (1.2 years", "+ state_support", manifest["started"], manifest["finished"],
                 "8 finished of 8 planned, 0 failed", manifest["versions"]["mesa"], "numba", "SALib"):
        assert text in page, text
    summary = pd.read_csv(batch / "summary.csv", keep_default_na=False)
    row = summary[(summary["structure"] == "model3") & (summary["measures"] == "")
                  & (summary["outcome"] == "shared_understanding")].iloc[0]
    assert f"{row['mean']:.3f}" in page and f"{row['ci95_low']:.3f}" in page


def test_sim_batch_report_writes_it_at_the_end(tmp_path, capsys):
    scenario = tmp_path / "s.toml"
    scenario.write_text(SCENARIO.replace("replications = 2", "replications = 1").replace('[], ["state_support"]', "[]"))
    out = tmp_path / "out"
    assert main(["batch", str(scenario), "--out", str(out), "--workers", "1", "--quiet", "--report"]) == 0
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out
    page = (out / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    assert "report_check" in page and (out / "figures" / "criteria.png").is_file()
    assert "no CI" in page  # one replication: no confidence interval, and the report says so


def test_sim_report_without_results_exits_2_with_a_clear_message(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sim report: error:") and "no batch results" in err and "sim batch" in err
    assert not (tmp_path / "report.html").exists()
    assert main(["report", str(tmp_path / "missing")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    (tmp_path / "manifest.json").write_text(json.dumps({"status": "running"}))
    with pytest.raises(ReportError, match="not finished.*--resume"):
        write_report(tmp_path)


def test_the_criteria_after_2_5_and_10_years_are_in_the_tables_the_report_and_compare_report(tmp_path, capsys):
    # the report's verdicts are near-term judgements: every batch table gives the criteria at each horizon reached
    out = tmp_path / "horizons"
    scenario = scenario_from_dict({"name": "horizons", "structures": ["model1", "model2", "model3"], "weeks": 520,
                                   "replications": 3, "seed": 5})
    runs = run_batch(scenario, out=out, workers=1)
    summary = pd.read_csv(out / "summary.csv", keep_default_na=False)
    for years in (2, 5, 10):
        for criterion in CRITERIA:
            assert f"{criterion}_at_{years}y" in runs
            assert (summary["outcome"] == f"{criterion}_at_{years}y").sum() == 3
    ten = runs["strategic_coordination_at_10y"].to_numpy()
    assert (ten == runs["strategic_coordination"].to_numpy()).all()  # 520 weeks: the end is the 10-year horizon
    assert not (runs["strategic_coordination_at_2y"].to_numpy() == ten).all()
    write_report(out)
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Over time: after 2, 5 and 10 years" in page and "after 5 years" in page
    assert main(["compare-report", str(out)]) == 0
    assert "after 2, 5, 10 years" in capsys.readouterr().out
    short = scenario_from_dict({"name": "short", "structures": ["model1"], "weeks": 150, "replications": 2,
                                "seed": 5})
    two = run_batch(short, out=tmp_path / "short", workers=1)  # reaches only the 2-year horizon
    assert "operational_implementation_at_2y" in two and "operational_implementation_at_5y" not in two
