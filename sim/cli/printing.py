"""Plain-text tables for the terminal, whether it can show a character, and a line per stage of a long command."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def encodable(text: str) -> bool:
    try:
        text.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def print_table(header: list[str], rows: list[list[str]], right: tuple[int, ...] = ()) -> None:
    """Columns padded to their widest cell, two spaces apart (``right``: right-aligned columns)."""
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(f"{c:>{w}}" if k in right else f"{c:<{w}}"
                        for k, (c, w) in enumerate(zip(row, widths, strict=True))).rstrip())


def stages(name: str) -> Callable[[str], None]:
    """A progress callback: one line per stage on stderr, with the seconds since the command started."""
    start = time.perf_counter()

    def say(stage: str) -> None:
        print(f"{name}: {stage} ... ({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)

    return say
