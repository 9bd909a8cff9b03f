"""Figures of batch results and of one model (matplotlib), one module per thing they show.

Every function takes data frames (``runs.parquet``, ``steps.parquet/``, ``sensitivity.csv``
as pandas reads them) and returns the :class:`~matplotlib.figure.Figure`; only
:func:`save_batch_figures` reads and writes files.  One look throughout: the colours of
:mod:`sim.analysis.style` (organisation models, measure sets, staircase steps), titles that
say what is shown and over how many runs, axis labels with units, and legends outside the
data.  Uncertainty is always drawn: 95 % confidence intervals of means (t-based, as in
``summary.csv``) or the 5-95 % range of the replications.

Figures are built as :class:`~matplotlib.figure.Figure` objects without pyplot, so nothing
needs closing, no GUI backend is touched, and a notebook shows a returned figure once.
:mod:`.canvas`, :mod:`.frames` and :mod:`.groups` hold what the figures share.
"""

from .assignments import assignment_flow
from .batch import save_batch_figures
from .coverage import coverage_by_size_class
from .criteria import criteria_by_model
from .measures import measure_differences, measure_effects
from .network import actor_network
from .sensitivity import read_sensitivity, sensitivity_indices
from .staircase import staircase_over_time
from .sweeps import sweep_data, sweep_response

__all__ = ["actor_network", "assignment_flow", "coverage_by_size_class", "criteria_by_model", "measure_differences",
           "measure_effects", "read_sensitivity", "save_batch_figures", "sensitivity_indices", "staircase_over_time",
           "sweep_data", "sweep_response"]
