"""Every behavioural parameter, in one table: default, unit, allowed range, source.

The table is the single place a parameter is declared.  The model validates
keyword arguments against it, the kernels receive it as the :class:`Params`
named tuple, and ``docs/ODD.md`` lists it.  No parameter names a criterion or
an organisation model's verdict: they describe behaviour and structure only.
Sources cite the seed file (``000``-``004`` in ``shared/seeds``) and section, or
say "assumption".
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from typing import Any, NamedTuple

from .checks import is_number, shown

WEEKS_PER_YEAR = 52  # the simulation's calendar: one step is a week; rates "per year" divide by this


@dataclass(frozen=True)
class Parameter:
    """One declared parameter."""

    name: str
    default: float
    low: float
    high: float
    unit: str
    source: str
    doc: str
    integer: bool = False


PARAMETERS: tuple[Parameter, ...] = (
    # --- assignments (oppdrag) ---
    Parameter("annual_assignments", 1, 0, 20, "per ministry per year",
              "assumption; 004 §4.4 (annual allocation-letter cycle)",
              "Cross-sector assignments each ministry writes into its own directorates' allocation letters (tildelingsbrev) each year.", True),
    Parameter("joint_assignments", 3, 0, 20, "per year",
              "002 §Forankring (the joint assignment); count: assumption",
              "Joint assignments the coordinating structure issues each year in the field.", True),
    Parameter("adhoc_rate", 1.8, 0.0, 52.0, "per ministry per year",
              "004 §3.2.2 and §4.4 (ad-hoc assignment letters inflate); value: calibration A's posterior median (docs/CALIBRATION.md)",
              "Ad-hoc assignment letters (oppdragsbrev) per ministry per year, outside the annual cycle."),
    Parameter("participation_rate", 0.48, 0.0, 1.0, "probability",
              "assumption; value: calibration A's posterior median (docs/CALIBRATION.md)",
              "Chance that a directorate of full relevance is named participant in an assignment (scaled by its relevance)."),
    Parameter("work_initiative", 4.0, 0.1, 200.0, "person-weeks", "assumption; phases from 004 §2.3",
              "Work needed to finish the initiative/analysis phase."),
    Parameter("work_decision", 2.0, 0.1, 200.0, "person-weeks", "assumption; phases from 004 §2.3",
              "Work needed to finish the decision phase with one decider."),
    Parameter("work_implementation", 12.0, 0.1, 500.0, "person-weeks", "assumption; phases from 004 §2.3",
              "Work needed to finish the implementation phase."),
    Parameter("work_operation", 8.0, 0.1, 500.0, "person-weeks", "assumption; phases from 004 §2.3",
              "Work needed to finish the operation phase (delivery to municipalities)."),
    Parameter("agreement_cost", 0.42, 0.0, 5.0, "fraction per extra decider",
              "000 model 3 (many participants slow decisions); size: assumption",
              "Extra decision work for each decider beyond the first."),
    Parameter("responsibility_diffusion", 0.36, 0.0, 2.0, "priority loss per extra principal",
              "000 model 3, negative effects (undermining the line structures can diffuse responsibility, "
              "'ansvarsforvitring'); size: assumption",
              "Priority lost for each principal beyond the first when a collective body (any arena that issues or decides an assignment) steers it instead of one ministry's line: weight / (1 + this x (principals - 1)); principals are the sectors in the collective."),
    Parameter("coordination_overhead", 0.14, 0.0, 1.0, "fraction per extra actor",
              "000 model 3, negative effects (7 ministries and 13 agencies); size: assumption",
              "Loss of effective work for each actor beyond the first that must be coordinated in a phase."),
    Parameter("coordination_floor", 0.3, 0.0, 1.0, "fraction",
              "assumption; 001 and 003 (weak cross-sector coordination is the main obstacle)",
              "Efficiency of joint work between actors at staircase step 0, relative to step 4."),
    Parameter("max_age_weeks", 156, 4, 1040, "weeks",
              "003 (short horizons: budget year, ministerial terms); length: assumption",
              "An assignment still open this long is dropped.", True),
    Parameter("adhoc_weight", 0.5, 0.0, 1.0, "priority weight",
              "004 §4.4 (ad-hoc letters have weak status in steering)",
              "Priority of an ad-hoc assignment relative to one in the annual letter."),
    Parameter("weak_priority", 0.28, 0.0, 1.0, "priority weight",
              "002 §Forankring (only in the lead's letter, others prioritise it to varying degrees); value: calibration A's posterior median (docs/CALIBRATION.md)",
              "Priority an actor gives an assignment that is not written into its own letter."),
    Parameter("parallel_plans", 30.0, 0.0, 200.0, "plans",
              "004 §3.2.2 (about 30 plans and strategies, 'action plans without money')",
              "Parallel plans and strategies competing for the same cross-sector attention."),
    Parameter("plan_weight", 0.1, 0.0, 1.0, "priority weight per plan", "assumption",
              "Attention each parallel plan takes, relative to an assignment in the annual letter."),
    Parameter("political_anchoring", 1.0, 0.25, 4.0, "weight multiplier",
              "003 ('Forankring - høyt og bredt og godt - og kontinuerlig'); 004 §3.2.2 (0-24 'ikke et politisk barn', "
              "'skriker ... etter en sterkere politisk overbygning'); a scenario premise, 1 = the seeds' reading of today",
              "Weight of the field in every letter against the parallel plans: above 1 the field is anchored higher, more broadly and more continuously than today, below 1 less. A premise a scenario states, not a calibrated value."),
    Parameter("alignment_uptake", 0.5, 0.0, 1.0, "probability",
              "004 §4.4 ('Et sterkere mandat til lederdepartementet om å samstemme tekster i ... tildelingsbrev'); size: assumption",
              "Chance that a participant's ministry adopts into its letter the wording a coordinating lead with full responsibility proposes for an assignment (scaled by the lead's and the issuing ministry's coordinating responsibility)."),
    Parameter("capacity_scale", 1.5, 0.0, 10.0, "multiplier",
              "assumption; value: calibration A's posterior median (docs/CALIBRATION.md)",
              "Scales every state actor's cross-sector capacity (sensitivity lever)."),
    Parameter("grant_share", 0.3, 0.0, 1.0, "share", "assumption; 002 §Finansiering",
              "Share of assignments carried to municipalities as grants (tilskudd)."),
    Parameter("guidance_share", 0.3, 0.0, 1.0, "share", "assumption; 002 §Styrket statlig understøtting ('faglig normering og veiledning')",
              "Share of assignments carried to municipalities as guidance (veiledning), which an RER contact point passes on; the rest are measures."),
    # --- the coordination staircase (samordningstrappa) ---
    Parameter("climb_threshold", 3.2, 0.1, 100.0, "person-weeks of joint work",
              "assumption; staircase from 004 §2.2; value: calibration A's posterior median (docs/CALIBRATION.md)",
              "Joint work needed to climb from step 0 to 1; step l to l+1 needs (l+1) times this."),
    Parameter("meeting_interaction", 0.2, 0.0, 5.0, "person-weeks per meeting", "assumption",
              "Interaction one arena meeting gives each connected pair."),
    Parameter("contact_interaction", 1.0, 0.0, 10.0, "person-weeks per contact", "assumption",
              "Interaction a municipality's contact with the state (a delivered measure, guidance or grant) gives their relation."),
    Parameter("meeting_cost", 0.15, 0.0, 1.0, "person-weeks per attendee per meeting",
              "assumption (a half-day meeting, 0.1, with preparation and follow-up, 0.05); "
              "004 §3.2.3 ('møtepunkter uten at det blir press på kjerneoppgaver')",
              "Time each attendee spends on one arena meeting, taken from its capacity that week."),
    Parameter("meeting_preparation", 0.05, 0.0, 1.0, "person-weeks per attendee per meeting",
              "assumption (papers, minutes and follow-up for each attendee)",
              "Secretariat time one meeting takes per attendee; beyond the secretariat the lead pays it from its capacity."),
    Parameter("consultation_cost", 0.01, 0.0, 0.2, "person-weeks per tie per week",
              "000 model 3 ('representanter som deltar ... må sørge for tilstrekkelige avklaringer i sin linje'; "
              "'Mer byråkrati'); size: assumption (about half an hour a week with each counterpart while a decision is open)",
              "Time an arena member spends each week a joint decision of the arena is open: clearing it in its own line, and as much again for each member it deals with (all in a plenary, the lead in a star)."),
    Parameter("knowledge_floor", 0.4, 0.0, 1.0, "fraction",
              "004 §2.2 (steps 1-2 need a shared information and knowledge base)",
              "Climbing speed to steps 1-2 with no shared knowledge base, relative to a full one."),
    Parameter("no_mandate_factor", 0.1, 0.0, 1.0, "fraction",
              "004 §2.2 (step 3 needs anchored, clear roles and responsibilities)",
              "Climbing speed to step 3 without a mandate or identical letters, relative to with one."),
    Parameter("interpretation_level", 2, 0, 4, "step",
              "004 §2.3 (step 4 reached in the decision phase dips 'to for example step 2' in implementation)",
              "Step a lead-implementer relation falls to (if above it) when an implementer that took no part in the decision must interpret the assignment.", True),
    Parameter("erosion_delay", 26, 1, 520, "weeks", "assumption; 004 §4.1",
              "Weeks without interaction before a relation starts to slip down the staircase.", True),
    Parameter("erosion_rate", 0.05, 0.0, 1.0, "fraction of progress per idle week", "assumption",
              "Share of accumulated climbing progress lost each week once idle past the delay."),
    Parameter("erosion_hazard", 0.05, 0.0, 1.0, "per week",
              "004 §3.2.3 (informal collaboration is vulnerable); size: assumption",
              "Chance per week that an idle relation past the delay drops one step."),
    Parameter("formal_protection", 0.25, 0.0, 1.0, "hazard multiplier",
              "004 §4.5 (stable structures give continuity); size: assumption",
              "Erosion hazard of a relation held by an arena with a mandate, relative to an informal one."),
    Parameter("turnover_rate", 0.12, 0.0, 1.0, "per actor per year",
              "004 §3.2.3 (staff turnover); rate: assumption",
              "Chance per year that an actor's key staff change, dropping its informal relations one step."),
    Parameter("collapse_prob", 0.5, 0.0, 1.0, "probability",
              "004 §4.1 (a jerk back to the start of the staircase when a temporary programme ends)",
              "Chance that a relation of a programme whose period ends, with no recent joint work carried by anything else, falls back to collapse_level."),
    Parameter("collapse_level", 1, 0, 3, "step", "004 §4.1",
              "Step a collapsing relation falls back to.", True),
    Parameter("municipal_cap", 3, 1, 4, "step",
              "004 §4 and figure 3 (state-municipality collaboration aims at step 3: municipal autonomy)",
              "Highest step a state-municipality relation can reach.", True),
    Parameter("initial_network_level", 1, 0, 4, "step",
              "000 model 3 and 001 (KUBU and the agencies' collaboration exist today)",
              "Starting step between members of the same arena of today (KUBU, the agencies' collaboration, DigiUng).", True),
    # --- arenas in use ---
    Parameter("engagement_rate", 0.16, 0.0, 1.0, "fraction per meeting",
              "004 §4.5 (a heavy structure can become an empty structure nobody uses); 002 §Forankring; size: assumption",
              "Share of the gap to its stake that a member's engagement closes at each meeting; the stake is its relevance, times weak_priority unless its own letter carries the field's joint assignment."),
    Parameter("renewal_gap_weeks", 26, 0, 260, "weeks",
              "004 §4.1 (a programme is vulnerable when its period ends); length: assumption",
              "Weeks a renewed programme does not meet between one mandate period and the next.", True),
    Parameter("regional_chain_floor", 0.5, 0.0, 1.0, "fraction",
              "004 §4.7 (Statsforvalteren and KoRus carry state signals to municipalities); size: assumption",
              "Strength of a regional office's link to municipalities when its relation with the lead agency is at step 0, relative to step 4."),
    Parameter("line_level", 3, 0, 4, "step",
              "004 §2.2 (step 3: roles settled 'in the line')",
              "Starting step between a ministry and its own directorates (the steering line).", True),
    Parameter("maturity_rate", 0.05, 0.0, 1.0, "fraction per meeting",
              "000 model 3 ('i en utprøvingsfase', 'for prematurt ... før den har satt seg og er moden'); "
              "000 model 2 ('kan ta tid før bedre samordning oppnås'); size: assumption (two to three years of monthly "
              "meetings to mature)",
              "Share of the gap to full maturity an arena closes at a meeting all its members attend (in proportion to those who do), and at each decision it carries through; a member's staff change costs it that member's share."),
    Parameter("existing_maturity", 0.5, 0.0, 1.0, "fraction",
              "000 model 3 (KUBU and the agencies' collaboration are 'forholdsvis nye strukturer ... i en utprøvingsfase'); "
              "size: assumption",
              "Maturity today's arenas start from (a new arena starts from 0)."),
    # --- shared knowledge base ---
    Parameter("knowledge_initial", 0.3, 0.0, 1.0, "fraction",
              "000 model 2 (knowledge of effective measures is still lacking)",
              "Knowledge of effective measures each state actor holds from its own sector, and returns to without shared knowledge."),
    Parameter("knowledge_build", 0.004, 0.0, 0.1, "per person-year per week", "assumption",
              "Growth of an arena's evaluated portfolio per person-year of knowledge function, per week (after the evaluation lag)."),
    Parameter("evaluation_lag_weeks", 52, 0, 520, "weeks",
              "000 model 2 (the first phase builds the knowledge base and evaluates measures into a portfolio); length: assumption",
              "Weeks from a knowledge function's start of work on an evaluation to a measure entering the portfolio.", True),
    Parameter("knowledge_decay", 0.002, 0.0, 0.1, "per week", "assumption",
              "Weekly decay of a portfolio without upkeep, and of an actor's knowledge back toward its own sector's."),
    Parameter("knowledge_uptake", 0.098, 0.0, 1.0, "fraction per week of contact", "assumption",
              "Share of the gap an actor closes each week toward the best knowledge it meets: the portfolio of an arena whose meeting it attends, or a co-worker's on an assignment."),
    # --- municipalities ---
    Parameter("reach_rate", 0.097, 0.0, 1.0, "per person-week of delivery work", "assumption",
              "Signal strength that each person-week of delivery work on assignments in operation sends to every municipality."),
    Parameter("capacity_reference_population", 20000.0, 100.0, 1e6, "inhabitants",
              "SSB size class 20,000+ (DOMAIN.md)",
              "Population at which a municipality has full capacity to take up state measures."),
    Parameter("capacity_elasticity", 0.35, 0.0, 2.0, "elasticity",
              "002 §RER (small municipalities lack capacity); size: assumption",
              "How steeply municipal capacity grows with population below the reference."),
    Parameter("knowledge_take_up_floor", 0.5, 0.0, 1.0, "fraction", "assumption",
              "A municipality's take-up of a measure whose lead agency has no knowledge of effective measures, relative to one with full knowledge."),
    Parameter("relation_take_up_floor", 0.5, 0.0, 1.0, "fraction", "assumption; 004 figure 3",
              "A municipality's take-up at step 0 with the state, relative to at the highest step it can reach."),
    Parameter("outreach_share", 0.48, 0.0, 1.0, "share",
              "002 §Oppsøkende virksomhet (SINTEF 2023: 48 % of n = 347)",
              "Share of municipalities with outreach work aimed at youth at the start."),
    Parameter("outreach_gain", 0.5, 0.0, 5.0, "relative take-up", "assumption; 002 §Oppsøkende virksomhet",
              "Extra take-up of state measures in municipalities with outreach work."),
    Parameter("outreach_adoption", 0.1, 0.0, 1.0, "per year", "assumption; 002 (KoRus to implement outreach methods)",
              "Yearly chance a municipality without outreach adopts it under the outreach measure."),
    Parameter("rer_gain", 0.5, 0.0, 5.0, "relative take-up",
              "002 §RER (a contact point gives 'Styrket informasjon og veiledning til tjenester i kommunene'); size: assumption",
              "Extra take-up of state guidance (veiledning) where RER works as a fully funded municipal contact point."),
    Parameter("rer_role_cost_nok", 500000.0, 1000.0, 1e8, "NOK per year",
              "002 §RER (100 kNOK or less is not enough to widen the role); size: assumption",
              "Yearly funding RER needs to act as a full contact point."),
    Parameter("state_support_gain", 0.5, 0.0, 5.0, "relative reach", "002 §Styrket statlig understøtting; size: assumption",
              "Extra reach of state signals to municipalities with stronger state support and norms."),
    Parameter("local_gain_pooled", 1.0, 0.0, 10.0, "progress per take-up",
              "002 §Finansiering and 004 §3.2.1 (programme financing gave better local coordination)",
              "Local coordination progress from taking up pooled programme financing."),
    Parameter("local_gain_sector", 0.25, 0.0, 10.0, "progress per take-up",
              "002 §Finansiering (sector grants bend applications to each scheme's rules)",
              "Local coordination progress from taking up a sector grant."),
    Parameter("local_gain_guidance", 0.5, 0.0, 10.0, "progress per take-up", "assumption",
              "Local coordination progress from taking up a measure or guidance."),
    Parameter("local_threshold", 1.5, 0.1, 100.0, "progress", "assumption",
              "Progress a municipality needs to climb its local staircase from step 0; step l needs (l+1) times this."),
    Parameter("local_erosion_hazard", 0.02, 0.0, 1.0, "per week", "assumption",
              "Chance per week that a municipality with no take-up for a year drops one local step."),
)

BY_NAME: dict[str, Parameter] = {p.name: p for p in PARAMETERS}


@dataclass(frozen=True)
class Prior:
    """An uncertain parameter's plausible range (uniform prior) and why it is plausible."""

    name: str
    low: float
    high: float
    reason: str


# Every uncertain behavioural parameter: a uniform prior over its plausible range, with the reason.  Not here:
# what a seed or the data fix (outreach_share, interpretation_level, municipal_cap, line_level,
# initial_network_level, parallel_plans, capacity_reference_population) and the premise political_anchoring.
# The calibration's screen (docs/CALIBRATION.md) picks the ones its patterns identify; the others are drawn from
# these priors wherever the calibration propagates uncertainty.
_TWICE = "assumption: half to twice the default"
PRIORS: tuple[Prior, ...] = (
    Prior("annual_assignments", 0, 3, "004 §4.4: the annual cycle carries a cross-sector assignment or a few a year"),
    Prior("joint_assignments", 1, 6, "002 §Forankring: the coordinating structure's joint assignments, one to a handful a year"),
    Prior("adhoc_rate", 0.2, 4.0, "004 §4.4: ad-hoc letters inflate; from one every five years to four a year per ministry"),
    Prior("participation_rate", 0.3, 0.9, "assumption: a fully relevant agency named in a third to nine in ten assignments"),
    Prior("work_initiative", 2.0, 8.0, _TWICE),
    Prior("work_decision", 1.0, 4.0, _TWICE),
    Prior("work_implementation", 6.0, 24.0, _TWICE),
    Prior("work_operation", 4.0, 16.0, _TWICE),
    Prior("agreement_cost", 0.0, 1.0, "000 model 3: many participants slow decisions; from nothing to one more "
          "decision's work per extra decider"),
    Prior("responsibility_diffusion", 0.0, 1.0, "000 model 3 names the risk of 'ansvarsforvitring', not its size: from "
          "none (0) to a seven-sector collective leaving each worker a seventh of the priority (1)"),
    Prior("coordination_overhead", 0.02, 0.2, "000 model 3: more actors, more bureaucracy; 2-20 % of effective work per "
          "extra actor (above that a 13-agency body could not work at all)"),
    Prior("coordination_floor", 0.1, 0.6, "001, 003: joint work at step 0 is much less effective than at the top"),
    Prior("max_age_weeks", 104, 260, "003: short horizons; two years (a budget cycle and a half) to five (past a "
          "ministerial term)"),
    Prior("adhoc_weight", 0.25, 0.75, "004 §4.4: ad-hoc letters weigh less than the allocation letter, not nothing"),
    Prior("weak_priority", 0.05, 0.5, "002 §Forankring: agencies without the assignment in their own letter prioritise it "
          "'to varying degrees', below an own-letter assignment (1); more than half of it would not be the weaker "
          "status the seed describes"),
    Prior("plan_weight", 0.05, 0.2, _TWICE),
    Prior("alignment_uptake", 0.2, 0.8, "004 §4.4: identical wording proposed by a lead is adopted by some ministries, "
          "not all"),
    Prior("capacity_scale", 0.5, 2.0, "the capacities of the actor tables are assumptions (docs/DATA.md): half to twice"),
    Prior("grant_share", 0.1, 0.5, _TWICE),
    Prior("guidance_share", 0.1, 0.5, _TWICE),
    Prior("climb_threshold", 1.5, 6.0, _TWICE),
    Prior("meeting_interaction", 0.05, 0.5, "assumption: a meeting gives a pair from an hour's to a day's joint work"),
    Prior("contact_interaction", 0.5, 2.0, _TWICE),
    Prior("meeting_cost", 0.05, 0.3, "assumption: from a short meeting to a day and a half with preparation"),
    Prior("meeting_preparation", 0.02, 0.1, _TWICE),
    Prior("consultation_cost", 0.0025, 0.03, "assumption: from ten minutes to an hour and a half a week with each "
          "counterpart while a decision is open"),
    Prior("knowledge_floor", 0.2, 0.7, "004 §2.2: a missing knowledge base slows the first steps, it does not stop them"),
    Prior("no_mandate_factor", 0.02, 0.3, "004 §2.2: step 3 needs roles placed; without, a small fraction of the pace"),
    Prior("erosion_delay", 13, 52, "004 §4.1: a quarter to a year without contact before a relation slips"),
    Prior("erosion_rate", 0.02, 0.1, _TWICE),
    Prior("erosion_hazard", 0.02, 0.1, "004 §3.2.3: an idle informal relation slips a step within a quarter to a year"),
    Prior("formal_protection", 0.1, 0.5, "004 §4.5: stable structures give continuity; a mandate halves to tenths the "
          "hazard"),
    Prior("turnover_rate", 0.06, 0.25, "004 §3.2.3: key staff change every four to fifteen years"),
    Prior("collapse_prob", 0.2, 0.8, "004 §4.1: the jerk back is a risk, neither rare nor certain"),
    Prior("collapse_level", 0, 2, "004 §4.1: 'tilbake til start' - step 0 to 2"),
    Prior("engagement_rate", 0.02, 0.3, "004 §4.5: engagement settles within 3 to 50 meetings (months to years), not "
          "at once and not never"),
    Prior("renewal_gap_weeks", 0, 52, "004 §4.1: the passage between periods 'kan bli lang'; none to a year"),
    Prior("regional_chain_floor", 0.25, 0.75, "004 §4.7: the regional link carries signals even at step 0, if weakly"),
    Prior("maturity_rate", 0.02, 0.15, "000 models 2 and 3: a new structure 'tar tid', years not weeks: two to eight "
          "years of monthly meetings to mature"),
    Prior("existing_maturity", 0.25, 0.75, "000 model 3: KUBU and the agencies' collaboration are 'forholdsvis nye "
          "strukturer ... i en utprøvingsfase'"),
    Prior("knowledge_initial", 0.15, 0.45, "000 model 2: knowledge of effective measures 'fortsatt er mangelfull'"),
    Prior("knowledge_build", 0.002, 0.008, _TWICE),
    Prior("evaluation_lag_weeks", 26, 104, "000 model 2: evaluations take half a year to two"),
    Prior("knowledge_decay", 0.001, 0.004, _TWICE),
    Prior("knowledge_uptake", 0.01, 0.2, "assumption: a week of contact closes 1-20 % of a knowledge gap (a portfolio "
          "is learnt in months to years)"),
    Prior("reach_rate", 0.03, 0.15, "assumption: delivery work reaches from a few to most municipalities within a year "
          "under today's organisation"),
    Prior("capacity_elasticity", 0.15, 0.6, "002 §RER: small municipalities lack capacity; how steeply is an assumption"),
    Prior("knowledge_take_up_floor", 0.25, 0.75, "assumption: knowledge helps take-up, its absence does not prevent it"),
    Prior("relation_take_up_floor", 0.25, 0.75, "assumption: a relation with the state helps take-up, its absence does "
          "not prevent it"),
    Prior("outreach_gain", 0.25, 1.0, _TWICE),
    Prior("outreach_adoption", 0.05, 0.2, _TWICE),
    Prior("rer_gain", 0.25, 1.0, _TWICE),
    Prior("rer_role_cost_nok", 250_000.0, 1_000_000.0, "002 §RER: 100 kNOK or less is not enough; a quarter to a "
          "million NOK"),
    Prior("state_support_gain", 0.25, 1.0, _TWICE),
    Prior("local_gain_pooled", 0.5, 2.0, _TWICE),
    Prior("local_gain_sector", 0.1, 0.5, _TWICE),
    Prior("local_gain_guidance", 0.25, 1.0, _TWICE),
    Prior("local_threshold", 0.75, 3.0, _TWICE),
    Prior("local_erosion_hazard", 0.01, 0.04, _TWICE),
)
PRIOR: dict[str, Prior] = {p.name: p for p in PRIORS}

Params = NamedTuple("Params", [(p.name, int if p.integer else float) for p in PARAMETERS])
Params.__doc__ = "Parameter values as the kernels receive them (a numba-compatible named tuple)."


def suggest(name: str, choices: Any) -> str:
    """A ' did you mean ...?' hint for a misspelt name, or ''."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" Did you mean {close[0]!r}?" if close else ""


def validate(values: dict[str, Any]) -> Params:
    """Check names, types and ranges; return the full parameter set.

    Raises ValueError naming the parameter and what is allowed.
    """
    for name in values:
        if name not in BY_NAME:
            raise ValueError(f"unknown parameter {shown(name)}.{suggest(str(name), BY_NAME)} "
                             f"Allowed: {', '.join(sorted(BY_NAME))}.")
    out = {}
    for p in PARAMETERS:
        v = values.get(p.name, p.default)
        kind = "a whole number" if p.integer else "a number"
        if not is_number(v) or not math.isfinite(float(v)):
            raise ValueError(f"parameter {p.name!r} must be {kind} in [{p.low:g}, {p.high:g}] ({p.unit}), "
                             f"got {shown(v)}.")
        if p.integer and float(v) != int(v):
            raise ValueError(f"parameter {p.name!r} must be a whole number in [{p.low:g}, {p.high:g}], got {shown(v)}.")
        if not p.low <= float(v) <= p.high:
            raise ValueError(f"parameter {p.name!r} = {shown(v)} is out of range: allowed [{p.low:g}, {p.high:g}] "
                             f"({p.unit}).")
        out[p.name] = int(v) if p.integer else float(v)
    return Params(**out)
