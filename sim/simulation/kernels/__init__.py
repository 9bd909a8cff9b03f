"""The numba engine's submodels, one module each, in the order of ``docs/ODD.md`` (Process overview).

:func:`sim.simulation.core.advance_week` calls them in turn; :mod:`sim.simulation.agents` states the same
rules as the agents' methods (the reference engine), each beside a pointer to its
kernel twin here.  Kernels unpack the arrays they need into locals before looping:
reading fields of the large ``World``/``State`` tuples inside hot loops defeats
LLVM's optimisation (measured 19x slower).
"""
