"""Analysis and presentation: validation against the report, robustness, result tables, figures, the report, the view.

Reads what :mod:`sim.experiments` wrote and may simulate through :mod:`sim.simulation`;
nothing here imports :mod:`sim.cli` (``tests/test_architecture.py``).
"""
