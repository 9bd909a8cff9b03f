"""The simulation: the model itself, from its parameters and data to the compiled week and the Mesa model.

Imports nothing from :mod:`sim.experiments`, :mod:`sim.analysis` or :mod:`sim.cli`
(``tests/test_architecture.py``).  Three names that read alike hold different things:
:mod:`.structures` declares organisation models and measures (the schema and the
shipped ``structures.toml``); :mod:`.structs` hands the world and state arrays to the
kernels as numba structs; :mod:`sim.experiments.structural` names the fields of a
structure that a design may vary.
"""

from .provenance import use_numba_cache_for_this_code

use_numba_cache_for_this_code()  # before any kernel module is imported
