#!/usr/bin/env python3
"""Quickstart tasks that need nothing but Python 3.11+.

    python3 tasks.py compare   # the main job: all organisation models -> results/compare_models
    python3 tasks.py test      # the test suite (CI runs exactly this)

Each task first makes ``.venv`` and installs the project into it (again whenever
pyproject.toml changes).
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if sys.platform == "win32" else "bin")
STAMP = VENV / ".installed"


def ensure_venv() -> None:
    """Create the virtual environment and install the project with its test extras, if not current."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}.")
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    if not (BIN / "python").exists() and not (BIN / "python.exe").exists():
        print("creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("installing the project into .venv ...", flush=True)
    run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[dev]"])
    STAMP.touch()


def run(cmd: list[str]) -> None:
    code = subprocess.call(cmd, cwd=ROOT)
    if code:
        sys.exit(code)


def main() -> None:
    tasks = {
        "compare": [str(BIN / "sim"), "batch", "scenarios/compare_models.toml", "--report", "--resume"],
        "test": [str(BIN / "python"), "-m", "pytest"],
    }
    if len(sys.argv) != 2 or sys.argv[1] not in tasks:
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(tasks)}}}")
    ensure_venv()
    run(tasks[sys.argv[1]])


if __name__ == "__main__":
    main()
