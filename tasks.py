#!/usr/bin/env python3
"""Quickstart tasks that need nothing but Python 3.11+.

    python3 tasks.py compare   # the main job: all organisation models -> results/compare_models
    python3 tasks.py test      # the test suite (CI runs exactly this)
    python3 tasks.py reference # regenerate results/reference/ (commit it after a deliberate change)
    python3 tasks.py notebook  # JupyterLab on notebooks/, its kernel the project's .venv (options after it go to it)

Each task first makes ``.venv`` and installs the project into it (again whenever
pyproject.toml changes).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if sys.platform == "win32" else "bin")
STAMP = VENV / ".installed"
FRESH = ROOT / "results" / "reference_run"  # scratch batch behind results/reference/


def ensure_venv() -> None:
    """Create the virtual environment and install the project with its test extras, if not current.

    A first build takes a few minutes; it says each stage, and each package pip collects, as it goes.
    """
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs under any python3, to say what is needed
        sys.exit(f"Python 3.11 or newer is needed, this is {sys.version.split()[0]}.")
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    started = time.monotonic()
    if not (BIN / "python").exists() and not (BIN / "python.exe").exists():
        stage(1, "creating .venv", started)
        venv.create(VENV, with_pip=True)
    stage(2, "upgrading pip in .venv", started)
    run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
    stage(3, "installing the project and its dependencies into .venv (a few minutes the first time; a line per "
             "package pip collects)", started)
    run([str(BIN / "python"), "-m", "pip", "install", "--progress-bar", "off", "-e", f"{ROOT}[dev]"],
        show=("Collecting ", "Installing collected packages", "Successfully installed"))
    STAMP.touch()
    stage(4, ".venv is ready", started)


def stage(number: int, text: str, started: float) -> None:
    """One line per stage of building .venv, with the seconds so far."""
    print(f"[{number}/4] {text} ({time.monotonic() - started:.0f} s)", flush=True)


def run(cmd: list[str], show: tuple[str, ...] = ()) -> None:
    """Run ``cmd``; stop with its exit status if it fails.  With ``show``, only its output lines that begin with one
    of these are printed (indented) as they come, and all of it when it fails."""
    try:
        if not show:
            code = subprocess.call(cmd, cwd=ROOT)
        else:
            seen = []
            with subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
                for line in proc.stdout:
                    seen.append(line)
                    if line.startswith(show):
                        print("    " + line.rstrip()[:160], flush=True)
            code = proc.returncode
            if code:
                print("".join(seen), end="", file=sys.stderr)
    except KeyboardInterrupt:  # the command saw the Ctrl+C too and ended (or asked, as jupyter does)
        code = 130
    if code:
        sys.exit(code)


def tasks() -> dict[str, list[list[str]]]:
    """Each task: commands run in order, stopping at the first failure."""
    sim = str(BIN / "sim")
    return {
        # both readings of model 3's premise: no change of mandate (the report's), and one in week 104; each
        # reuses the runs its folder holds, but recomputes those another scenario or other code made (the batch
        # refuses to mix them), so the comparison never shows results of older code
        "compare": [[sim, "batch", "scenarios/compare_models.toml", "--resume", "--rerun-stale"],
                    [sim, "batch", "scenarios/compare_models_mandate_change.toml", "--report", "--resume",
                     "--rerun-stale"],
                    # after both batches, so that its answer at the top says what a change of mandate changes
                    [sim, "report", "results/compare_models"],
                    [sim, "compare-report", "results/compare_models",
                     "--mandate-change", "results/compare_models_mandate_change"]],
        "test": [[str(BIN / "python"), "-m", "pytest"]],
        # a fresh batch every time, so the committed reference never depends on what a folder held before
        "reference": [[sim, "batch", "scenarios/compare_models.toml", "--out", str(FRESH), "--quiet"],
                      [sim, "compare-report", str(FRESH), "--save", "results/reference"]],
        # the server runs in .venv, so its default kernel is .venv's Python, where the project is installed
        "notebook": [[str(BIN / "jupyter"), "lab", "--notebook-dir", str(ROOT / "notebooks")]],
    }


def main() -> None:
    known = tasks()
    task, options = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if task not in known or (options and task != "notebook"):
        sys.exit(f"usage: python3 tasks.py {{{'|'.join(known)}}}  (only notebook takes options: jupyter lab's)")
    ensure_venv()
    if task == "reference":
        shutil.rmtree(FRESH, ignore_errors=True)
    for cmd in known[task]:
        run(cmd + options)


if __name__ == "__main__":
    main()
