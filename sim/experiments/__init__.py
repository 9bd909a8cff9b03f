"""Running experiments: scenario files, designs, batches, the search for structures, calibration, sensitivity.

Builds on :mod:`sim.simulation` only; nothing here imports :mod:`sim.analysis` or
:mod:`sim.cli` (``tests/test_architecture.py``).  Where a presentation is part of an
experiment's output (a search's figure and page), the caller passes it in.
"""
