"""Shared helpers for the test suite."""

from __future__ import annotations

from sim import CoordinationModel

STRUCTURES = ("baseline", "model1", "model2", "model3")


def simulate(structure: str = "baseline", weeks: int = 52, **kwargs) -> CoordinationModel:
    """A model advanced ``weeks`` weeks."""
    model = CoordinationModel(structure=structure, **kwargs)
    for _ in range(weeks):
        model.step()
    return model
