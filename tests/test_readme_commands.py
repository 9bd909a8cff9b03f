"""The README's shell examples run in the order given, in an empty folder, without colliding.

Each command is run as written, against copies of the shipped scenarios shrunk to a few weeks,
replications, samples and generations (so the suite stays short; an NSGA-III population must cover its 14 objectives); only a command that needs an
outside cluster (``tcp://``) is left out.  SCENARIOS.md's command synopsis is checked against
the parser, so it never names a command or option that does not exist.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

from sim.cli import main
from sim.cli.parser import build_parser

ROOT = Path(__file__).resolve().parents[1]
SHRINK = [(r"(?m)^weeks = \d+", "weeks = 30"), (r"(?m)^replications = \d+$", "replications = 2"),
          (r"(?m)^samples = \d+", "samples = 4"), (r"(?m)^population = \d+", "population = 14"),
          (r"(?m)^generations = \d+", "generations = 1")]


def shell_lines(path: Path) -> list[str]:
    """The ``sim`` commands of a document's bash blocks, comments dropped."""
    blocks = re.findall(r"^```bash\n(.*?)^```", path.read_text(encoding="utf-8"), flags=re.MULTILINE | re.DOTALL)
    lines = [line.split("  #")[0].strip() for block in blocks for line in block.splitlines()]
    return [line for line in lines if line.startswith("sim ")]


README_COMMANDS = [c for c in shell_lines(ROOT / "README.md") if "tcp://" not in c]


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "scenarios", folder / "scenarios")
    (folder / "results" / "calibration").mkdir(parents=True)  # the committed posterior the design search draws from
    shutil.copy(ROOT / "results" / "calibration" / "posterior.parquet", folder / "results" / "calibration")
    for path in (folder / "scenarios").glob("*.toml"):
        text = path.read_text(encoding="utf-8")
        for pattern, replacement in SHRINK:
            text = re.sub(pattern, replacement, text)
        path.write_text(text, encoding="utf-8")
    return folder


def test_the_readme_shows_commands_to_run():
    assert len(README_COMMANDS) >= 10
    assert any(c.startswith("sim search") for c in README_COMMANDS)


def test_the_readme_commands_run_in_order_without_colliding(clone, monkeypatch, capsys):
    monkeypatch.chdir(clone)
    for command in README_COMMANDS:
        code = main(shlex.split(command)[1:])
        out = capsys.readouterr()
        assert code == 0, f"`{command}` exited {code}: {out.err[-2000:]}"
    assert (clone / "results" / "model2_run" / "steps.parquet").is_file()
    assert (clone / "results" / "measures" / "report.html").is_file()
    assert (clone / "results" / "measures.xlsx").is_file()
    assert (clone / "results" / "uncertainty" / "robustness.md").is_file()
    assert (clone / "results" / "design_search" / "pareto.parquet").is_file()


def test_the_scenarios_doc_synopsis_names_only_real_commands_and_options():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # noqa: SLF001 - argparse keeps them here only
    for line in shell_lines(ROOT / "docs" / "SCENARIOS.md"):
        name = line.split()[1]
        assert name in commands, f"SCENARIOS.md shows `sim {name}`, which is not a command"
        known = {o for action in commands[name]._actions for o in action.option_strings}  # noqa: SLF001
        for option in re.findall(r"--[a-z-]+", line):
            assert option in known, f"SCENARIOS.md shows `sim {name} {option}`, which it does not take"
