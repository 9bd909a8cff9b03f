"""`python3 tasks.py`: building .venv says each stage as it goes, never minutes of silence."""

from __future__ import annotations

import os
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(os.name != "posix", reason="the stand-in pip is a shell script")
def test_building_the_venv_prints_a_line_per_stage_and_per_package(tmp_path, monkeypatch, capfd):
    sys.path.insert(0, str(ROOT))
    try:
        import tasks
    finally:
        sys.path.remove(str(ROOT))
    bin_ = tmp_path / ".venv" / "bin"

    def create(folder: Path, with_pip: bool) -> None:  # a stand-in for venv.create: a "python" whose pip talks
        bin_.mkdir(parents=True)
        python = bin_ / "python"
        python.write_text("#!/bin/sh\ncase \"$*\" in *' -e '*)\n"  # only the install of the project talks
                          "echo 'Collecting numba>=0.59'\necho '  Downloading numba.whl (3.7 MB)'\n"
                          "echo 'Installing collected packages: numba'\necho 'Successfully installed numba-0.61';;\n"
                          "esac\n")
        python.chmod(0o755)

    monkeypatch.setattr(venv, "create", create)
    monkeypatch.setattr(tasks, "VENV", tmp_path / ".venv")
    monkeypatch.setattr(tasks, "BIN", bin_)
    monkeypatch.setattr(tasks, "STAMP", tmp_path / ".venv" / ".installed")
    tasks.ensure_venv()
    out = capfd.readouterr().out.splitlines()
    stages = [line.split(" (")[0] for line in out if line.startswith("[")]
    assert stages == ["[1/4] creating .venv", "[2/4] upgrading pip in .venv",
                      "[3/4] installing the project and its dependencies into .venv", "[4/4] .venv is ready"]
    assert "    Collecting numba>=0.59" in out and "    Successfully installed numba-0.61" in out
    assert not any("Downloading" in line for line in out)  # pip's noise stays out
    assert (tmp_path / ".venv" / ".installed").is_file()
    tasks.ensure_venv()  # current: nothing to do, nothing said
    assert capfd.readouterr().out == ""
