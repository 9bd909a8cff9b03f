"""How organisation models, measure sets and outcome names read in words, in tables, figures and pages alike."""

from __future__ import annotations

# the shipped organisation models' short titles (seed 000 §6.2); a model declared in a scenario keeps its name
MODEL_TITLES: dict[str, str] = {"baseline": "today", "model1": "zero plus", "model2": "national programme",
                                "model3": "KUBU + agencies"}


def pretty(name: str) -> str:
    """A metric or criterion name as words: ``cross_sector_organisation`` -> ``cross-sector organisation``."""
    return name.replace("cross_sector", "cross-sector").replace("_", " ")


def model_label(structure: str) -> str:
    """``model2 (national programme)``; unknown names (models built in code) as they are."""
    return f"{structure} ({MODEL_TITLES[structure]})" if structure in MODEL_TITLES else structure


def measures_label(measures: str) -> str:
    """A measure set as a label: ``""`` -> ``no measures``, ``a,b`` -> ``+ a + b``."""
    return "no measures" if not measures else "+ " + " + ".join(measures.split(","))
