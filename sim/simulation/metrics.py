"""What the model measures each week: the names of the report's six criteria and the outcomes behind them.

:func:`sim.simulation.kernels.observation.measure` computes every metric from what the actors
did, so both engines report through the same code.  How and why each criterion
measures what the report (seed 000, table 3) means is documented in ``docs/ODD.md``
(Design concepts: Observation).  Flows are taken over the trailing 52 weeks.
"""

from __future__ import annotations

from .datasets import load_actors
from .state import TOP_STEP

CRITERIA: tuple[str, ...] = (
    "cross_sector_organisation",
    "shared_understanding",
    "strategic_coordination",
    "operational_implementation",
    "local_support",
    "use_of_existing_structures",
)
LEVEL_SHARES: tuple[str, ...] = tuple(f"level_{k}_share" for k in range(TOP_STEP + 1))
SIZE_CLASSES: tuple[str, ...] = ("coverage_small", "coverage_medium", "coverage_large")
# local support (criterion 5) within each SSB size class: which model serves a municipality of my size
LOCAL_SUPPORT_BY_CLASS: tuple[str, ...] = ("local_support_small", "local_support_medium", "local_support_large")
SECTORS: tuple[str, ...] = tuple(load_actors().ministries["code"])  # a sector is a ministry's area
SECTOR_EFFORT: tuple[str, ...] = tuple(f"effort_share_{code}" for code in SECTORS)
SECTOR_COMPLETED: tuple[str, ...] = tuple(f"completed_share_{code}" for code in SECTORS)
OUTCOMES: tuple[str, ...] = (
    *LEVEL_SHARES,
    "assignments_issued",
    "assignments_open",
    "assignments_completed",
    "assignments_dropped",
    "lead_time_weeks",
    *SIZE_CLASSES,
    *LOCAL_SUPPORT_BY_CLASS,
    "cost_person_years",
    "participant_effort_py",
    "assignment_effort_py",
    "structure_load_py",
    "knowledge_base",
    "municipal_relation_level",
    "local_coordination_level",
    "sector_balance",
    *SECTOR_EFFORT,
    *SECTOR_COMPLETED,
)
METRICS: tuple[str, ...] = CRITERIA + OUTCOMES
INDEX: dict[str, int] = {name: k for k, name in enumerate(METRICS)}
N_LEVEL0 = INDEX["level_0_share"]
N_ISSUED_OUT = INDEX["assignments_issued"]
N_COVERAGE = INDEX["coverage_small"]
N_LOCAL_SUPPORT_CLASS = INDEX["local_support_small"]
N_COST = INDEX["cost_person_years"]
N_BALANCE = INDEX["sector_balance"]
N_SECTOR_EFFORT = INDEX[SECTOR_EFFORT[0]]
N_SECTOR_COMPLETED = INDEX[SECTOR_COMPLETED[0]]

# The report judges the near term; the model can say what changes with time: each run also records the six
# criteria as measured after 2, 5 and 10 years (those horizons it reaches).
HORIZON_YEARS: tuple[int, ...] = (2, 5, 10)


def at_horizon(criterion: str, years: int) -> str:
    """The name of ``criterion`` measured after ``years`` years."""
    return f"{criterion}_at_{years}y"


AT_HORIZONS: tuple[str, ...] = tuple(at_horizon(c, y) for y in HORIZON_YEARS for c in CRITERIA)
# money the run's measures spend a year (NOK, their declared budget_nok): a cost the model does not simulate, recorded
# beside the person-years it does (cost_person_years) so that a comparison can weigh both (docs/ODD.md, Costs)
BUDGET = "budget_nok"
RECORDED: tuple[str, ...] = METRICS + (BUDGET,) + AT_HORIZONS  # what a batch records per run


def horizon_values(history) -> dict[str, float]:
    """The criteria after each horizon a run reached, from its weekly metrics (row k: after week k)."""
    return {at_horizon(c, years): float(history[years * 52, INDEX[c]])
            for years in HORIZON_YEARS if years * 52 < len(history) for c in CRITERIA}
