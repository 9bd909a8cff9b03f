"""A scenario file read as TOML, and the error every bad scenario raises.

Imports only the standard library, so the command line refuses a missing, unreadable or
malformed scenario file at once, before it loads the simulation; :mod:`.scenario`
validates what the file says.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names the file, field and what is allowed."""


def read_scenario_file(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The tables of a scenario file; a ScenarioError when it cannot be read, is not UTF-8 or is not TOML."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc.strerror}).") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{path}: the scenario file is not UTF-8 text (byte {exc.start}); "
                            "save it as UTF-8.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}.") from None
