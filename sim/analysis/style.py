"""One look for every figure: staircase steps (samordningstrappa, seed 004 figure 2), models and measure sets."""

from __future__ import annotations

LEVEL_COLOURS: tuple[str, ...] = ("#d9d9d9", "#c6dbef", "#6baed6", "#2171b5", "#08306b")
LEVEL_NAMES: tuple[str, ...] = ("0 none", "1 share information", "2 shared understanding", "3 clear roles",
                                "4 joint plans")

# Organisation models (seed 000 §6.2): Okabe-Ito colours, distinct for colour-blind readers and in greyscale print
# together with the markers.
MODEL_COLOURS: dict[str, str] = {"baseline": "#595959", "model1": "#E69F00", "model2": "#009E73", "model3": "#CC79A7"}
MODEL_MARKERS: dict[str, str] = {"baseline": "o", "model1": "s", "model2": "^", "model3": "D"}
# Measure sets (seed 002 §5.4), when a figure compares several: "no measures" is grey, the others qualitative.
MEASURE_COLOURS: tuple[str, ...] = ("#0072B2", "#D55E00", "#56B4E9", "#F0E442", "#009E73", "#CC79A7", "#E69F00",
                                    "#000000")
NO_MEASURES_COLOUR = "#9e9e9e"
