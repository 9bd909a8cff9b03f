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
def upkeep(p, portfolio, evaluated, responsibility):
    """An arena's portfolio a week on: lagged evaluation work adds to it, decay takes from it.

    The evaluation counts as far as the arena has matured (a new body does not yet evaluate
    well), and a lead with coordinating responsibility keeps the knowledge base up (004 §4.2:
    "sikrer oppdatering av en felles kunnskapsbase"), slowing its decay in proportion.
    """
    base = p.knowledge_initial
    return (portfolio + p.knowledge_build * evaluated * (1.0 - portfolio)
            - p.knowledge_decay * (1.0 - responsibility) * (portfolio - base))


@njit(cache=True, error_model="numpy")
def update_knowledge(w, s, p, week):
    """Portfolios grow with lagged evaluation work; actors close part of the gap to the best knowledge they met."""
    start, period, cycle = w.ar_start, w.ar_period, w.ar_cycle
    base = p.knowledge_initial
    portfolio, knowledge, reach = s.portfolio, s.knowledge, s.reach
    for a in range(len(start)):
        evaluated = w.ar_knowledge[a] if arena_active(start[a], period[a], cycle[a], week - p.evaluation_lag_weeks) else 0.0
        portfolio[a] = upkeep(p, portfolio[a], evaluated * s.maturity[a], w.ar_responsibility[a])
    for i in range(w.n_state):
        k = knowledge[i]
        knowledge[i] = k + p.knowledge_uptake * max(0.0, reach[i] - k) - p.knowledge_decay * (k - base)
