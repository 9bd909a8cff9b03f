"""One look for every figure: the staircase step colours and names (samordningstrappa, seed 004 figure 2)."""

from __future__ import annotations

LEVEL_COLOURS: tuple[str, ...] = ("#d9d9d9", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
LEVEL_NAMES: tuple[str, ...] = ("0 none", "1 share information", "2 shared understanding", "3 clear roles",
                                "4 joint plans")
