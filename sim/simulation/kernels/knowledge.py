"""Knowledge of effective measures: arenas' evaluated portfolios and what the actors hold.

Seed 000 model 2: the first phase builds the knowledge base and evaluates measures
into a portfolio of effective ones.  A knowledge function's work enters its arena's
portfolio only after ``evaluation_lag_weeks``; actors take knowledge up where they
meet it (a meeting they attend, a co-worker on an assignment) and otherwise fall
back toward their own sector's knowledge.  Knowledge counts where actors use it:
the climb gate of a relation reads its two actors' knowledge, a municipality's
take-up reads the knowledge of the agency that leads what it takes up.
"""

from __future__ import annotations

from numba import njit

from .arenas import arena_active


@njit(cache=True, error_model="numpy")
def update_knowledge(w, s, p, week):
    """Portfolios grow with lagged evaluation work; actors close part of the gap to the best knowledge they met."""
    start, period, cycle = w.ar_start, w.ar_period, w.ar_cycle
    base = p.knowledge_initial
    portfolio, knowledge, reach = s.portfolio, s.knowledge, s.reach
    for a in range(len(start)):
        evaluated = w.ar_knowledge[a] if arena_active(start[a], period[a], cycle[a], week - p.evaluation_lag_weeks) else 0.0
        k = portfolio[a]
        portfolio[a] = k + p.knowledge_build * evaluated * (1.0 - k) - p.knowledge_decay * (k - base)
    for i in range(w.n_state):
        k = knowledge[i]
        knowledge[i] = k + p.knowledge_uptake * max(0.0, reach[i] - k) - p.knowledge_decay * (k - base)
