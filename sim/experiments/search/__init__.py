"""Searching for structures: a robust multi-objective search over declared spaces of structures (``sim search``).

Candidates are organisation models with structural fields set (:mod:`sim.experiments.structural`) and
measures switched on; each is judged across the scenario's design (an uncertainty sample of the
behavioural parameters) with common random numbers, by the mean and a low quantile of each
criterion and by its cost, as in many-objective robust decision making (MORDM).  The optimiser
is pymoo's mixed-variable genetic algorithm with NSGA-II or NSGA-III survival.
"""

from .outputs import SearchResult
from .run import run_search

__all__ = ["SearchResult", "run_search"]
