"""Which folder a report reads, and the clear refusals when it holds no finished batch or holds a search."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class ReportError(ValueError):
    """The folder holds nothing a report can be made of; the message says what is missing and what to run."""


def refuse_search(folder: Path, manifest: dict[str, Any], command: str) -> None:
    """A search's folder is not a batch: its runs pool many structures under one base name."""
    if manifest.get("scenario", {}).get("search"):
        raise ReportError(f"{folder} holds a search (`sim search`), whose runs pool many candidate structures under "
                          f"each base model, so `{command}` would mix them. Its report.html, candidates.parquet and "
                          f"pareto.parquet are the search's own; `sim search SCENARIO --out {folder} --resume` "
                          "rebuilds them from the saved runs.")


def batch_folder(root: Path) -> Path:
    """The finished batch a report of ``root`` describes: ``root``, or the Sobol' batch of ``sim sensitivity``."""
    if not root.is_dir():
        raise ReportError(f"{root} is not a folder; give the output folder of `sim batch` (e.g. results/<name>).")
    for candidate in (root, root / "sobol"):
        if (candidate / "runs.parquet").is_file() and (candidate / "manifest.json").is_file():
            if candidate != root and not (root / "sensitivity.csv").is_file():
                continue
            return candidate
    if (root / "manifest.json").is_file():
        status = json.loads((root / "manifest.json").read_text(encoding="utf-8")).get("status")
        raise ReportError(f"{root} holds a batch that has not finished (manifest status {status!r}, no "
                          "runs.parquet); finish it with `sim batch SCENARIO --out "
                          f"{root} --resume`, then run `sim report {root}`.")
    raise ReportError(f"{root} holds no batch results (no runs.parquet and manifest.json); run "
                      f"`sim batch SCENARIO --out {root}` first, or give the folder it wrote.")


MANDATE_SUFFIX = "_mandate_change"  # tasks.py compare: results/compare_models and results/compare_models_mandate_change


def counterpart(root: Path, manifest: dict[str, Any]) -> Path | None:
    """The batch beside ``root`` with the same name but the other premise about the mandate, if one has finished:
    ``<name>_mandate_change`` for a batch without a change of mandate, ``<name>`` for one with it."""
    week = manifest.get("scenario", {}).get("mandate_change_week")
    if week is None:
        return None
    name = root.resolve().name
    if week == "never":
        other = root.resolve().with_name(name + MANDATE_SUFFIX)
    elif name.endswith(MANDATE_SUFFIX) and len(name) > len(MANDATE_SUFFIX):
        other = root.resolve().with_name(name[:-len(MANDATE_SUFFIX)])
    else:
        return None
    try:
        theirs = json.loads((other / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    their_week = theirs.get("scenario", {}).get("mandate_change_week")
    if (other / "runs.parquet").is_file() and their_week is not None and (their_week == "never") != (week == "never"):
        return other
    return None
