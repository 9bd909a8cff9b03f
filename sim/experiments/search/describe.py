"""A candidate structure in words, for the report: what it starts from, what it changes, how its field is run."""

from __future__ import annotations

from typing import Any

from sim.simulation.structures import Arena, OrganisationModel, check_structure

from ..labels import model_label
from ..scenario import Scenario
from ..structural import field_of, value_of
from .space import Candidate


def _codes(codes: Any) -> str:
    return ", ".join(codes) if isinstance(codes, list | tuple) else str(codes)


def arena_in_words(arena: Arena) -> str:
    """One arena's structure as a sentence."""
    rights = arena.decision_rights_from_week
    decides = ("never takes joint decisions" if rights is None else
               "decides only after a change of mandate" if rights == "mandate_change" else
               f"takes joint decisions from week {max(int(rights), arena.setup_weeks)}")
    period = ("standing" if arena.period_weeks is None else
              f"a {arena.period_weeks}-week programme{', renewed' if arena.renewed else ', not renewed'}")
    shape = "the lead meets each member (star)" if arena.topology == "star" else "plenary"
    staffed = {"lead": f"staffed by {arena.lead}", "members": "staffed by its members",
               "dedicated": "with staff paid for anew"}[arena.staffing]
    parts = [f"{arena.name}: {len(arena.members)} members ({_codes(arena.members)}) led by {arena.lead}, {shape}",
             f"meets every {arena.meets_every_weeks} weeks", f"secretariat {arena.secretariat_py:.2g} person-years a year",
             f"evaluation {arena.knowledge_py:.2g} person-years a year", staffed,
             f"the lead's coordinating responsibility {arena.coordinating_responsibility:.2g}", decides, period]
    if arena.implemented_in_line:
        parts.append("its decisions carried out in the members' lines")
    if arena.reference_group:
        parts.append(f"a reference group of {len(arena.reference_group)}"
                     + (" with municipalities" if arena.municipal_reference else ""))
    return "; ".join(parts)


def change_in_words(name: str, value: Any) -> str:
    """One structural change as a phrase."""
    field = field_of(name)
    where = "the coordinating arena" if name.startswith("field_arena.") else (
        name[len("arena."):].rpartition(".")[0] if name.startswith("arena.") else "")
    phrases = {
        "issuer": lambda v: f"{v} issues the joint assignments",
        "issuing_arena": lambda v: f"{v} issues them once it holds decision rights" if v else "no arena issues",
        "lead_agency": lambda v: f"{v} leads the joint assignments",
        "joint_letters": lambda v: ("the joint assignment in every coordinating member's allocation letter"
                                    if v == "arena" else f"the joint assignment in the letters of {_codes(v)}"),
        "members": lambda v: f"{where} has {len(v)} members ({_codes(v)})",
        "lead": lambda v: f"{where} is led by {v}",
        "topology": lambda v: f"{where} is {'a star' if v == 'star' else 'plenary'}",
        "meets_every_weeks": lambda v: f"{where} meets every {v} weeks",
        "secretariat_py": lambda v: f"{where} has a secretariat of {v:.2g} person-years a year",
        "knowledge_py": lambda v: f"{where} spends {v:.2g} person-years a year on evaluation",
        "decision_rights_from_week": lambda v: (f"{where} never decides" if v is None else
                                                f"{where} decides after a change of mandate"
                                                if v == "mandate_change" else f"{where} decides from week {v}"),
        "period_weeks": lambda v: f"{where} is a {v}-week programme" if v else f"{where} is standing",
        "setup_weeks": lambda v: f"{where} takes {v} weeks to set up",
        "staffing": lambda v: f"{where}'s staff come from " + {"lead": "its lead", "members": "its members",
                                                               "dedicated": "new money"}[v],
        "coordinating_responsibility": lambda v: f"{where}'s lead holds coordinating responsibility {v:.2g}",
        "mandate": lambda v: (f"{where} places roles from the change of mandate" if v == "mandate_change" else
                              f"{where} {'has' if v else 'has no'} mandate placing roles"),
    }
    return phrases[field](value) if field in phrases else f"{name} = {value}"


def candidate_in_words(scenario: Scenario, candidate: Candidate) -> str:
    """The candidate as a paragraph: its base, the changes that differ from it, measures, the coordinating arena."""
    base = check_structure(scenario.organisation(candidate.structure))
    model: OrganisationModel = candidate.organisation(scenario)
    differs = [change_in_words(n, v) for n, v in candidate.changes if value_of(base, n) != v]
    text = model_label(candidate.structure)
    text += (": " + "; ".join(differs) if differs else ", as declared")
    text += ". Measures: " + (", ".join(m.replace("_", " ") for m in candidate.measures) or "none") + "."
    coordinating = [a for a in model.arenas if a.coordinates_field]
    if coordinating:
        text += f" The field is coordinated by the {arena_in_words(coordinating[0])}."
    issuer = f"{model.issuing_arena} (once it holds rights), else {model.issuer}" if model.issuing_arena else model.issuer
    text += f" Issued by {issuer}; led by {model.lead_agency}."
    return text
