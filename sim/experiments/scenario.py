"""Scenario files: which models, measures, parameters, design and replications to run.

A scenario is a TOML file validated by pydantic.  Errors name the file, the field
and what is allowed, as one paragraph (:class:`ScenarioError`).  The field-by-field
reference with an example for each design is ``docs/SCENARIOS.md``.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import numbers
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.simulation.checks import MAX_COUNT, MAX_SEED, MAX_WEEKS, is_number, shown
from sim.simulation.datasets import DATASETS
from sim.simulation.parameters import BY_NAME, suggest, validate
from sim.simulation.structures import (
    Measure,
    OrganisationModel,
    catalogue,
    check_measures,
    check_stream_arenas,
    check_structure,
    declare,
    declare_measure,
)

from .scenario_file import ScenarioError, read_scenario_file
from .structural import MODEL_FIELDS, NUMERIC, changed, check_factor, field_of, is_structural, numeric_type, typed


NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"  # a name, never a path: results/<name> stays under results/
MAX_SAMPLES = 10**6  # design samples: far more than any design on one machine, small enough to plan at once
MAX_RUNS = 10**7  # runs in one batch: planning holds one record per run in memory (about 1 KB each)


def design_size(design: Design) -> int:
    """How many points a design has (before repeated points are merged), without drawing them."""
    k = len(design.ranges)
    sizes = {"none": 1, "grid": math.prod(len(v) for v in design.values.values()),
             "oat": 1 + sum(len(v) for v in design.values.values()),
             "lhs": design.samples, "sobol": design.samples * (k + 2), "morris": design.samples * (k + 1),
             "posterior": design.samples}
    return sizes[design.kind] * max(1, len(design.premises))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdaptiveReplications(_Strict):
    """Add replications per design point until every criterion's 95 % CI is this narrow."""

    until_ci_half_width: StrictFloat | StrictInt = Field(gt=0, le=1)
    min: StrictInt = Field(ge=2, le=MAX_COUNT)
    max: StrictInt = Field(ge=2, le=MAX_COUNT)
    batch: StrictInt = Field(default=10, ge=1, le=MAX_COUNT)

    @model_validator(mode="after")
    def _ordered(self) -> AdaptiveReplications:
        if self.max < self.min:
            raise ValueError(f"max ({self.max}) must be >= min ({self.min})")
        return self


class Design(_Strict):
    """The experiment design over parameters (crossed with structures, measures and replications).

    kind: ``none`` (base parameters only), ``grid`` (full factorial over ``values``),
    ``oat`` (one factor at a time over ``values``, others at base), ``lhs`` (Latin
    hypercube of ``samples`` points over ``ranges``), ``sobol`` (Saltelli's sample on the
    Sobol' sequence: ``samples`` x (factors + 2) points), ``morris`` (``samples`` Morris
    trajectories on a ``levels`` grid), ``posterior`` (``samples`` draws of a calibration's
    posterior, ``posterior`` and ``calibration``, every other uncertain parameter drawn from its
    prior: :mod:`sim.experiments.posterior`).  ``premises`` crosses every point with each premise
    about model 3's change of mandate (``"never"`` or a week), as the point's
    ``mandate_change_week`` (-1 for never).
    """

    kind: Literal["none", "grid", "oat", "lhs", "sobol", "morris", "posterior"] = "none"
    values: dict[str, list[Any]] = {}
    ranges: dict[str, Annotated[list[Any], Field(min_length=2, max_length=2)]] = {}
    samples: StrictInt = Field(default=0, ge=0, le=MAX_SAMPLES)
    levels: StrictInt = Field(default=4, ge=2, le=100)
    seed: StrictInt = Field(default=0, ge=0, le=MAX_SEED)
    posterior: StrictStr = ""  # a posterior.parquet of `sim calibrate`, relative to the scenario file
    calibration: Literal["A", "B"] = "A"
    premises: list[StrictInt | Literal["never"]] = []

    @model_validator(mode="after")
    def _premises(self) -> Design:
        for premise in self.premises:
            if premise != "never" and not 0 <= premise <= MAX_WEEKS:
                raise ValueError(f"design.premises: each is \"never\" or a week in [0, {MAX_WEEKS}], got {premise!r}")
        if len(set(map(str, self.premises))) < len(self.premises):
            raise ValueError("design.premises: name each premise once")
        if self.kind == "posterior":
            if not self.posterior or self.samples < 1:
                raise ValueError("design kind 'posterior' needs 'posterior' (the posterior.parquet of `sim calibrate`) "
                                 "and 'samples' >= 1")
            if self.values or self.ranges:
                raise ValueError("design kind 'posterior' draws every uncertain parameter itself: give neither "
                                 "'values' nor 'ranges' (fix a parameter in the scenario's [parameters] instead)")
        elif self.posterior:
            raise ValueError(f"design.posterior is read only by kind 'posterior', not {self.kind!r}")
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        if self.kind in ("grid", "oat") and not self.values:
            raise ValueError(f"design kind {self.kind!r} needs 'values' (parameter -> list of values)")
        if self.kind in ("lhs", "sobol", "morris"):
            if not self.ranges:
                raise ValueError(f"design kind {self.kind!r} needs 'ranges' (parameter -> [low, high])")
            if self.samples < 1:
                raise ValueError(f"design kind {self.kind!r} needs 'samples' >= 1")
        # what SALib would only warn about (and then sample badly): refused here, once, with what is allowed
        if self.kind == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"design kind 'sobol' needs 'samples' a power of 2 (2, 4, 8, ..., 64), got {self.samples}: "
                             "the Sobol' sequence is balanced only then")
        if self.kind == "morris" and self.levels % 2:
            raise ValueError(f"design kind 'morris' needs an even 'levels' (2, 4, 6, ...), got {self.levels}: an odd "
                             "number of levels biases the trajectories")
        for name in [*self.values, *self.ranges]:
            if is_structural(name):
                check_factor(name)
            elif name not in BY_NAME:
                close = difflib.get_close_matches(name, list(BY_NAME), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"cannot vary unknown parameter {name!r}.{hint} Structural fields are named "
                                 f"{', '.join(MODEL_FIELDS)}, arena.<NAME>.<field> or field_arena.<field>")
        for name, values in self.values.items():
            if not values:
                raise ValueError(f"values for {name!r} must not be empty")
            for v in values:
                _check_value(name, v)
        for name, (low, high) in self.ranges.items():
            if is_structural(name) and numeric_type(name) is None:
                raise ValueError(f"range for {name!r}: a range spans numbers; {field_of(name)!r} takes choices, so "
                                 f"vary it with a grid or oat design ('values'). Numeric fields: {', '.join(NUMERIC)}")
            _check_value(name, low)
            _check_value(name, high)
            if not low < high:
                raise ValueError(f"range for {name!r} must have low < high, got [{shown(low)}, {shown(high)}]")
        return self

    @property
    def factors(self) -> list[str]:
        """The names the design varies, sorted: behavioural parameters and structural fields."""
        return sorted(set(self.values) | set(self.ranges))


def _check_value(name: str, value: Any) -> None:
    if is_structural(name):
        kind = numeric_type(name)
        if value == "mandate_change" and field_of(name) == "decision_rights_from_week":
            return
        if kind is not None and value is not None and not (is_number(value) and math.isfinite(value)):
            raise ValueError(f"{name!r}: {shown(value)} is not a finite number (a {'whole ' if kind is int else ''}"
                             "number, never text or true/false)")
        if kind is int and value is not None and float(value) != int(value):
            raise ValueError(f"{name!r}: {shown(value)} is not a whole number; {field_of(name)!r} counts weeks")
        return  # what a structure allows is checked per structure (Scenario._structural_design)
    try:
        validate({name: value})
    except ValueError as exc:
        raise ValueError(str(exc)) from None


MAX_SEARCH_MEASURES = 8  # 256 measure sets per reference


class SearchRange(_Strict):
    """A numeric structural field's range in a search space (whole-number fields are rounded)."""

    low: StrictFloat | StrictInt
    high: StrictFloat | StrictInt

    @model_validator(mode="after")
    def _ordered(self) -> SearchRange:
        if not (is_number(self.low) and is_number(self.high) and self.low < self.high):
            raise ValueError(f"a range needs finite numbers with low < high, got [{shown(self.low)}, {shown(self.high)}]")
        return self


class Search(_Strict):
    """A multi-objective search over structures (``sim search``), each judged across the design's sample.

    ``space`` maps structural fields (:mod:`sim.experiments.structural`) to a list of choices or a
    ``{low, high}`` range; the scenario's ``structures`` are the base models a candidate
    starts from; each of ``measures`` is switched on or off.  The objectives are, per
    criterion, each of ``statistics`` over the design points ("mean", and "quantile": the
    ``quantile``-th quantile, the robust score of MORDM), and the cost in person-years.
    """

    space: dict[str, list[Any] | SearchRange] = {}
    measures: list[StrictStr] = []
    references: list[StrictStr] | None = None  # structures as declared, judged on the same sample (default: structures)
    population: StrictInt = Field(default=24, ge=4, le=10_000)
    generations: StrictInt = Field(default=10, ge=1, le=10_000)
    algorithm: Literal["nsga2", "nsga3"] = "nsga2"
    statistics: list[Literal["mean", "quantile"]] = Field(default=["mean", "quantile"], min_length=1)
    quantile: StrictFloat = Field(default=0.1, gt=0, le=0.5)
    seed: StrictInt = Field(default=0, ge=0, le=MAX_SEED)
    # a candidate is "within tolerance" of the best in a scenario when it scores at most this much below it
    tolerance: StrictFloat = Field(default=0.02, ge=0, le=1)
    # what a person-year costs the state, to state time and money in one sum (an assumption: docs/ODD.md, Costs)
    person_year_nok: StrictFloat | StrictInt = Field(default=1_200_000, gt=0, le=1e8)

    @field_validator("space", mode="before")
    @classmethod
    def _choices_or_range(cls, space: Any) -> Any:
        """Each field's list of choices or ``{low, high}`` range, refused naming the field and both forms."""
        if not isinstance(space, dict):
            return space
        parsed: dict[str, Any] = {}
        for name, value in space.items():
            if isinstance(value, dict):
                try:
                    parsed[name] = SearchRange.model_validate(value)
                except ValidationError as exc:
                    err = exc.errors()[0]
                    what = err["msg"].removeprefix("Value error, ")
                    if err["type"] == "extra_forbidden":
                        what = f"unknown key {str(err['loc'][-1])!r}; a range is {{low = ..., high = ...}}"
                    elif err["type"] == "missing":
                        what = f"{err['loc'][-1]!r} is missing; a range is {{low = ..., high = ...}}"
                    got = "" if ", got " in what else f" (got {shown(value)})"
                    raise ValueError(f"search.space.{name!r}: {what}{got}") from None
            elif isinstance(value, list):
                parsed[name] = value
            else:
                raise ValueError(f"search.space.{name!r}: give a list of choices or a range {{low = ..., high = ...}}, "
                                 f"got {shown(value)}")
        return parsed

    @model_validator(mode="after")
    def _factors(self) -> Search:
        for name, choices in self.space.items():
            if not is_structural(name):
                raise ValueError(f"search.space: {name!r} is not a structural field; the search varies structure "
                                 f"(behavioural parameters go in the design, its uncertainty sample). Fields: "
                                 f"{', '.join(MODEL_FIELDS)}, arena.<NAME>.<field>, field_arena.<field>")
            check_factor(name)
            if isinstance(choices, list) and not choices:
                raise ValueError(f"search.space.{name!r}: give at least one choice")
            if isinstance(choices, SearchRange) and numeric_type(name) is None:
                raise ValueError(f"search.space.{name!r}: {field_of(name)!r} takes choices (a list), not a range")
        if len(self.measures) > MAX_SEARCH_MEASURES:
            raise ValueError(f"search.measures: at most {MAX_SEARCH_MEASURES}: each reference is judged with every "
                             f"subset of them (2^{len(self.measures)} sets), so that it is compared with the same "
                             "measures as a candidate")
        if len(set(self.measures)) < len(self.measures):
            raise ValueError("search.measures: name each measure once")
        if len(set(self.statistics)) < len(self.statistics):
            raise ValueError("search.statistics: name each statistic once")
        if self.algorithm == "nsga3" and self.population < self.objectives:
            raise ValueError(f"search.population: NSGA-III needs at least one candidate per objective "
                             f"({self.objectives}), got {self.population}")
        return self

    @property
    def objectives(self) -> int:
        """How many objectives the search has: each statistic of each criterion, and the two costs (time, money)."""
        from sim.simulation.metrics import CRITERIA

        return len(self.statistics) * len(CRITERIA) + 2


class Calibration(_Strict):
    """``[calibration]``: the sizes of ``sim calibrate``'s screen, inference and posterior predictive (docs/CALIBRATION.md)."""

    screen_samples: StrictInt = Field(default=64, ge=2, le=MAX_SAMPLES)  # Sobol' base sample N: N (d + 2) points
    screen_replications: StrictInt = Field(default=2, ge=1, le=MAX_COUNT)
    # a parameter is calibrated when the lower end of its total-order index's 95 % interval reaches screen_cutoff on a
    # summary the parameters move more than noise does (at most screen_noise of its variance from the seeds alone)
    screen_cutoff: StrictFloat = Field(default=0.1, gt=0, lt=1)
    screen_noise: StrictFloat = Field(default=0.5, gt=0, le=1)
    # parameters calibrated in A and B whatever the screen says (a modeler's own question; the shipped one has none)
    also_calibrate: list[StrictStr] = []
    particles: StrictInt = Field(default=1000, ge=10, le=100_000)
    replications: StrictInt = Field(default=4, ge=2, le=MAX_COUNT)  # per particle and set-up
    max_generations: StrictInt = Field(default=8, ge=1, le=100)
    min_acceptance: StrictFloat = Field(default=0.03, gt=0, lt=1)
    predictive_draws: StrictInt = Field(default=200, ge=2, le=100_000)
    predictive_replications: StrictInt = Field(default=20, ge=2, le=MAX_COUNT)

    @field_validator("screen_samples")
    @classmethod
    def _power_of_two(cls, n: int) -> int:
        if n & (n - 1):
            raise ValueError(f"screen_samples must be a power of 2 (2, 4, ..., 64, 128), got {n}: the screen's Sobol' "
                             "sequence is balanced only then")
        return n

    @field_validator("also_calibrate")
    @classmethod
    def _uncertain(cls, names: list[str]) -> list[str]:
        from sim.simulation.parameters import PRIOR

        for name in names:
            if name not in PRIOR:
                close = difflib.get_close_matches(name, list(PRIOR), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"cannot calibrate {name!r}: only the parameters with a prior can be calibrated "
                                 f"(sim.simulation.parameters.PRIORS; docs/ODD.md, Priors).{hint}")
        return names


class Cluster(_Strict):
    """``[cluster]``: the jobs ``--dask slurm`` or ``--dask pbs`` asks the queue for (options on the command line win).

    Each job runs ``cores`` single-threaded Dask workers (a run is one core's work) sharing ``memory``.
    Where the batch runs has no effect on its results, so none of this is in the folder's fingerprint.
    """

    jobs: StrictInt = Field(default=1, ge=1, le=10_000)
    cores: StrictInt = Field(default=1, ge=1, le=1024)
    memory: str = Field(default="4GB", pattern=r"^\d+(\.\d+)?\s*[KMGT]i?B$")  # per job, as dask writes it
    walltime: str = Field(default="01:00:00", pattern=r"^(\d+-)?\d{1,4}:\d{2}(:\d{2})?$")  # [D-]HH:MM[:SS]
    queue: StrictStr | None = None  # Slurm partition or PBS queue (default: the queue system's)
    account: StrictStr | None = None  # Slurm account or PBS project to charge


class Scenario(_Strict):
    """One scenario file."""

    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    description: StrictStr = ""
    structure_file: StrictStr = ""  # a TOML file of [models.NAME] and [measures.NAME], read into the two below
    models: dict[str, dict[str, Any]] = {}
    declared_measures: dict[str, dict[str, Any]] = {}  # [declared_measures.NAME]: `measures` is the list of sets
    structures: list[StrictStr] = Field(min_length=1)
    measures: list[list[StrictStr]] = [[]]
    weeks: StrictInt = Field(ge=1, le=MAX_WEEKS)
    replications: int | AdaptiveReplications = Field(default=1)
    seed: StrictInt = Field(default=0, ge=0, le=MAX_SEED)
    engine: Literal["numba", "python"] = "numba"
    municipalities: StrictStr = "norway"
    rer_pot: Literal["national", "loaded"] = "national"
    parameters: dict[str, Any] = {}
    mandate_change_week: StrictInt | Literal["never"] = "never"
    design: Design = Design()
    search: Search | None = None
    calibration: Calibration = Calibration()
    series: bool = Field(default=True, strict=True)  # keep each run's weekly series (steps.parquet); false for big sweeps
    municipality_table: bool = Field(default=False, strict=True)  # municipalities.parquet: each run's last week, per kommune
    output: str = ""
    run_time_limit: float = Field(default=3600.0, gt=0, strict=True)  # seconds one run may take before it is stopped
    cluster: Cluster = Cluster()

    @model_validator(mode="after")
    def _known_structures(self) -> Scenario:
        """Declarations are valid and named like names; every structure and measure is shipped or declared."""
        declared = self.organisations()
        for s in self.structures:
            if s not in declared and s not in catalogue().models:
                names = [*catalogue().models, *declared]
                raise ValueError(f"structures: {shown(s)} is neither a shipped nor a declared model."
                                 f"{suggest(s, names)} Allowed: {', '.join(names)}")
        mine = self.measure_declarations()
        for k, measure_set in enumerate(self.measures):
            try:
                check_measures(measure_set, mine)
            except ValueError as exc:
                raise ValueError(f"measures.{k}: {str(exc).removeprefix('measures: ')}") from None
        self._check_streams(self.measures)
        return self

    def _check_streams(self, sets: list[list[str]]) -> None:
        """A measure stream's arena exists in every organisation the measure is simulated in."""
        mine = self.measure_declarations()
        for structure in self.structures:
            for measure_set in sets:
                check_stream_arenas(check_structure(self.organisation(structure)),
                                    check_measures(measure_set, mine), f"structure {structure!r}")

    @model_validator(mode="after")
    def _structural_design(self) -> Scenario:
        """Every structural value the design or search names gives every structure a valid one (before any run)."""
        design = self.design
        for name in design.factors:
            if is_structural(name):
                where = "values" if name in design.values else "ranges"
                self._check_structural(name, design.values.get(name) or design.ranges[name], f"design.{where}")
        if self.search is None:
            return self
        for name, choices in self.search.space.items():
            values = [choices.low, choices.high] if isinstance(choices, SearchRange) else choices
            self._check_structural(name, values, "search.space")
        if any(is_structural(name) for name in design.factors):
            raise ValueError("design: with a [search], the design is the uncertainty sample of behavioural "
                             "parameters; put structural fields in search.space")
        if not isinstance(self.replications, int):
            raise ValueError("replications: a search judges every candidate on the same runs; give a whole number")
        if self.measures != [[]]:
            raise ValueError("measures: with a [search], name the measures the search may switch on in "
                             "search.measures and leave measures out")
        try:
            check_measures(self.search.measures, self.measure_declarations())
        except ValueError as exc:
            raise ValueError(f"search.{exc}") from None
        self._check_streams([self.search.measures])
        for name in self.search.references or []:
            if name not in self.organisations() and name not in catalogue().models:
                names = [*catalogue().models, *self.organisations()]
                raise ValueError(f"search.references: {shown(name)} is neither a shipped nor a declared model."
                                 f"{suggest(name, names)} Allowed: {', '.join(names)}")
        return self

    def _check_structural(self, name: str, values: list[Any], where: str) -> None:
        for structure in self.structures:
            for value in values:
                try:
                    changed(check_structure(self.organisation(structure)), {name: typed(name, value)})
                except ValueError as exc:
                    raise ValueError(f"{where}.{name!r}: {shown(value)} for structure {structure!r}: {exc}") from None

    def organisations(self) -> dict[str, OrganisationModel]:
        """The models this scenario declares under ``[models.NAME]``, resolved in file order.

        Resolved once per distinct set of declarations (every run of a batch asks), keyed on
        their JSON, so a copy with other ``models`` never sees a stale resolution.
        """
        return dict(_resolve_models(json.dumps(self.models)))  # file order kept: a model may extend an earlier one

    def measure_declarations(self) -> dict[str, Measure]:
        """The measures this scenario declares under ``[declared_measures.NAME]``, resolved in file order."""
        return dict(_resolve_measures(json.dumps(self.declared_measures)))

    def measure_set(self, measures: tuple[str, ...]) -> dict[str, Measure]:
        """What a run with these measure names simulates: each name's shipped or declared measure."""
        return check_measures(measures, self.measure_declarations())

    @property
    def max_replications(self) -> int:
        """Replications per group at most: the fixed count, or the adaptive rule's maximum."""
        return self.replications if isinstance(self.replications, int) else self.replications.max

    def organisation(self, structure: str) -> str | OrganisationModel:
        """What a run of ``structure`` simulates: a shipped model's name, or the declared model."""
        return self.organisations().get(structure, structure)

    @field_validator("measures")
    @classmethod
    def _sorted_sets(cls, v: list[list[str]]) -> list[list[str]]:
        if not v:
            raise ValueError("measures must list at least one measure set ([] = no measures)")
        return [sorted(set(m)) for m in v]

    @field_validator("replications", mode="before")
    @classmethod
    def _count_or_rule(cls, v: Any) -> int | AdaptiveReplications:
        """A whole number >= 1, or an adaptive rule; errors name the rule's own field."""
        if isinstance(v, dict):
            try:
                return AdaptiveReplications.model_validate(v)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(x) for x in err["loc"]) or "rule"
                raise ValueError(f"adaptive rule field {where!r}: {err['msg'].removeprefix('Value error, ')}; "
                                 "fields: until_ci_half_width (0-1], min >= 2, max >= min, batch >= 1") from None
        if not is_number(v) or not isinstance(v, numbers.Integral) or not 1 <= v <= MAX_COUNT:
            raise ValueError(f"replications must be a whole number in [1, {MAX_COUNT}] or an adaptive rule table")
        return int(v)  # a NumPy integer too, as parameters take them

    @field_validator("mandate_change_week")
    @classmethod
    def _a_week(cls, v: int | str) -> int | str:
        if isinstance(v, int) and not 0 <= v <= 5200:
            raise ValueError(f"mandate_change_week must be \"never\" or a week in [0, 5200], got {v!r}")
        return v

    @model_validator(mode="after")
    def _plannable(self) -> Scenario:
        """Refuse, before anything is written, a batch too large to plan on one machine."""
        runs = len(self.structures) * len(self.measures) * design_size(self.design) * self.max_replications
        if self.search is not None:
            runs = (self.search.population * self.search.generations + len(self.search.references or self.structures)) \
                * design_size(self.design) * self.max_replications
        if runs > MAX_RUNS:
            raise ValueError(f"the batch would have {runs:,} runs (structures x measure sets x design points x "
                             f"replications); at most {MAX_RUNS:,} can be planned: split it into several scenarios")
        return self

    @model_validator(mode="after")
    def _one_premise_rule(self) -> Scenario:
        if self.design.premises and self.mandate_change_week != "never":
            raise ValueError("mandate_change_week: the design's premises set the change of mandate point by point; "
                             "leave mandate_change_week out (or drop design.premises)")
        return self

    @property
    def mandate_change(self) -> int | None:
        """The premise about a change of mandate as the model takes it: a week, or ``None`` for none."""
        return None if self.mandate_change_week == "never" else self.mandate_change_week

    @field_validator("parameters")
    @classmethod
    def _known_parameters(cls, v: dict[str, float]) -> dict[str, float]:
        validate(v)
        return v

    @property
    def output_dir(self) -> Path:
        """Where results go unless overridden on the command line."""
        return Path(self.output or f"results/{self.name}")


# what each typed field allows, in words, for messages about a value of the wrong type
ALLOWED: dict[str, str] = {
    "name": "a name of letters, digits, '_', '.' and '-', starting with a letter or digit (not a path)",
    "weeks": f"a whole number in [1, {MAX_WEEKS}]",
    "seed": f"a whole number in [0, {MAX_SEED}]",
    "mandate_change_week": f"\"never\" or a whole number (a week) in [0, {MAX_WEEKS}]",
    "design.samples": f"a whole number in [0, {MAX_SAMPLES}]",
    "design.levels": "a whole number in [2, 100]",
    "design.seed": f"a whole number in [0, {MAX_SEED}]",
    "replications.min": f"a whole number in [2, {MAX_COUNT}]",
    "replications.max": f"a whole number in [2, {MAX_COUNT}]",
    "replications.batch": f"a whole number in [1, {MAX_COUNT}]",
}
_TYPE_TAGS = frozenset({"int", "float", "str", "bool", "AdaptiveReplications"})


@functools.lru_cache(maxsize=64)
def _resolve_models(declarations: str) -> dict[str, OrganisationModel]:
    """Declared models from their JSON (see :meth:`Scenario.organisations`); ValueError names the field."""
    return _resolve(json.loads(declarations), catalogue().models, declare, "models", "model")


@functools.lru_cache(maxsize=64)
def _resolve_measures(declarations: str) -> dict[str, Measure]:
    """Declared measures from their JSON (see :meth:`Scenario.measure_declarations`)."""
    return _resolve(json.loads(declarations), catalogue().measures, declare_measure, "declared_measures", "measure")


def _resolve(declarations: dict[str, Any], shipped: dict[str, Any], build: Any, field: str, what: str) -> dict[str, Any]:
    """Declarations in file order (one may extend an earlier one or a shipped one), each under a new name."""
    known = dict(shipped)
    declared: dict[str, Any] = {}
    for name, declaration in declarations.items():
        if not re.match(NAME_PATTERN, name):
            raise ValueError(f"{field}.{shown(name)}: a {what} name is letters, digits, '_', '.' and '-'")
        if name in shipped:
            raise ValueError(f"{field}.{name} would hide the shipped {what} {name!r}; give the declaration "
                             "another name (it may extend the shipped one)")
        known[name] = declared[name] = build(name, declaration, known)
    return declared


def _location(loc: tuple[Any, ...]) -> str:
    """The field's dotted name, without pydantic's tags for union members and validators."""
    return ".".join(str(x) for x in loc
                    if str(x) not in _TYPE_TAGS and not str(x).startswith(("literal[", "function-", "constrained-")))


def _explain(path: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = _location(err["loc"])
    if err["type"] == "extra_forbidden":
        field = str(err["loc"][-1])
        parent = Scenario
        for part in err["loc"][:-1]:
            parent = {"design": Design, "search": Search}.get(str(part), parent)
        allowed = list(parent.model_fields)
        close = difflib.get_close_matches(field, allowed, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"{path}: unknown field {loc!r}.{hint} Allowed fields: {', '.join(allowed)}."
    if err["type"] == "missing":
        return f"{path}: field {loc!r} is required."
    msg = err["msg"].removeprefix("Value error, ")
    allowed = f"; allowed: {ALLOWED[loc]}" if loc in ALLOWED else ""
    if not loc:  # a rule on the scenario as a whole
        return f"{path}: {msg.rstrip('.')}."
    got = "" if ", got " in msg or "(got " in msg or isinstance(err.get("input"), dict) \
        else f" (got {shown(err.get('input'))})"
    return f"{path}: field {loc!r}: {msg.rstrip('.')}{allowed}{got}."


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict (for sweeps built in code).

    A ``structure_file`` (relative to ``source``'s folder) is read here, its ``[models]`` and
    ``[measures]`` put in front of the scenario's own declarations, so the scenario (and every
    results folder's fingerprint) holds what was declared, not only where.
    """
    if isinstance(data, dict) and isinstance(data.get("structure_file"), str) and data["structure_file"]:
        data = _with_structure_file(data, source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_explain(source, exc)) from None


MAX_STRUCTURE_FILE = 10 * 2**20  # bytes: far more than any set of declarations, never a device's endless stream


def read_structure_file(given: str, source: str) -> tuple[Path, str]:
    """The path and text of a ``structure_file``: a regular UTF-8 file of at most :data:`MAX_STRUCTURE_FILE` bytes.

    A relative path is read from the scenario file's folder and must stay inside it (no ``..`` or link leading
    out); an absolute one is taken as given on purpose.  Devices, pipes and folders are refused without
    reading (the file is opened non-blocking and checked before a byte is read).
    """
    where = f"{source}: field 'structure_file'"
    base = Path(source).parent if source != "<scenario>" else Path.cwd()
    path = Path(given)
    if not path.is_absolute():
        path = base / path
        if not path.resolve().is_relative_to(base.resolve()):
            raise ScenarioError(f"{where}: {shown(given)} lies outside the scenario file's folder {base}; a relative "
                                "path names a file in that folder or below it (give an absolute path to use another).")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read {path} ({exc.strerror}).") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise ScenarioError(f"{where}: {path} is not a regular file (a folder, device or pipe); name a TOML file.")
    with os.fdopen(fd, "rb") as file:
        if info.st_size > MAX_STRUCTURE_FILE:
            raise ScenarioError(f"{where}: {path} has {info.st_size:,} bytes; a structure file holds at most "
                                f"{MAX_STRUCTURE_FILE:,} (10 MB).")
        data = file.read(MAX_STRUCTURE_FILE + 1)
    if len(data) > MAX_STRUCTURE_FILE:
        raise ScenarioError(f"{where}: {path} grew beyond {MAX_STRUCTURE_FILE:,} bytes while read.")
    try:
        return path, data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{where}: {path} is not UTF-8 text (byte {exc.start}).") from None


def _with_structure_file(data: dict[str, Any], source: str) -> dict[str, Any]:
    path, text = read_structure_file(data["structure_file"], source)
    try:
        declared = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}.") from None
    extra = sorted(set(declared) - {"models", "measures"})
    if extra:
        raise ScenarioError(f"{path}: unknown table {extra[0]!r}; a structure file holds [models.NAME] and "
                            "[measures.NAME] tables, as sim/data/structures.toml does.")
    merged = dict(data)
    for ours, theirs in (("models", "models"), ("declared_measures", "measures")):
        table = declared.get(theirs, {})
        if not isinstance(table, dict):
            raise ScenarioError(f"{path}: [{theirs}] must be a table of NAME -> declaration.")
        own = data.get(ours, {}) if isinstance(data.get(ours, {}), dict) else {}
        twice = sorted(set(table) & set(own))
        if twice:
            raise ScenarioError(f"{source}: {ours}.{twice[0]} is declared both here and in {path}; keep one.")
        try:  # the file's own declarations first, so that an error names the file they are in
            (_resolve_models if ours == "models" else _resolve_measures)(json.dumps(table))
        except ValueError as exc:
            raise ScenarioError(f"{path}: {str(exc).replace('declared_measures.', 'measures.')}.") from None
        merged[ours] = {**table, **own}
    return merged


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario TOML file; ScenarioError says what is wrong and where."""
    path = Path(path)
    scenario = scenario_from_dict(read_scenario_file(path), str(path))
    if scenario.municipalities not in DATASETS and not Path(scenario.municipalities).is_absolute():
        scenario = scenario.model_copy(update={"municipalities": str(path.parent / scenario.municipalities)})
    if scenario.design.posterior and not Path(scenario.design.posterior).is_absolute():
        design = scenario.design.model_copy(update={"posterior": str(path.parent / scenario.design.posterior)})
        scenario = scenario.model_copy(update={"design": design})
    if scenario.design.kind == "posterior":
        from .posterior import read_posterior

        try:
            read_posterior(scenario.design.posterior, scenario.design.calibration)
        except ValueError as exc:
            raise ScenarioError(f"{path}: field 'design.posterior': {exc}") from None
    return scenario

