"""Scenario files: which models, measures, parameters, design and replications to run.

A scenario is a TOML file validated by pydantic.  Errors name the file, the field
and what is allowed, as one paragraph (:class:`ScenarioError`).  The field-by-field
reference with an example for each design is ``docs/SCENARIOS.md``.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from .parameters import BY_NAME, validate
from .structures import check_measures, check_structure


class ScenarioError(ValueError):
    """A scenario that cannot be run; the message names the file, field and what is allowed."""


Number = StrictInt | StrictFloat  # TOML numbers only: no booleans, no numeric strings


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AdaptiveReplications(_Strict):
    """Add replications per design point until every criterion's 95 % CI is this narrow."""

    until_ci_half_width: float = Field(gt=0, le=1)
    min: int = Field(ge=2)
    max: int = Field(ge=2)
    batch: int = Field(default=10, ge=1)

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
    trajectories on a ``levels`` grid).
    """

    kind: Literal["none", "grid", "oat", "lhs", "sobol", "morris"] = "none"
    values: dict[str, list[Number]] = {}
    ranges: dict[str, Annotated[list[Number], Field(min_length=2, max_length=2)]] = {}
    samples: int = Field(default=0, ge=0)
    levels: int = Field(default=4, ge=2)
    seed: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _consistent(self) -> Design:
        if self.kind in ("grid", "oat") and not self.values:
            raise ValueError(f"design kind {self.kind!r} needs 'values' (parameter -> list of values)")
        if self.kind in ("lhs", "sobol", "morris"):
            if not self.ranges:
                raise ValueError(f"design kind {self.kind!r} needs 'ranges' (parameter -> [low, high])")
            if self.samples < 1:
                raise ValueError(f"design kind {self.kind!r} needs 'samples' >= 1")
        for name in [*self.values, *self.ranges]:
            if name not in BY_NAME:
                close = difflib.get_close_matches(name, list(BY_NAME), n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"cannot vary unknown parameter {name!r}.{hint}")
        for name, values in self.values.items():
            if not values:
                raise ValueError(f"values for {name!r} must not be empty")
            for v in values:
                _check_value(name, v)
        for name, (low, high) in self.ranges.items():
            if not low < high:
                raise ValueError(f"range for {name!r} must have low < high, got [{low}, {high}]")
            _check_value(name, low)
            _check_value(name, high)
        return self


def _check_value(name: str, value: float) -> None:
    try:
        validate({name: value})
    except ValueError as exc:
        raise ValueError(str(exc)) from None


class Scenario(_Strict):
    """One scenario file."""

    name: str = Field(min_length=1)
    description: str = ""
    structures: list[str] = Field(min_length=1)
    measures: list[list[str]] = [[]]
    weeks: int = Field(ge=1, le=5200)
    replications: int | AdaptiveReplications = Field(default=1)
    seed: int = Field(default=0, ge=0)
    engine: Literal["numba", "python"] = "numba"
    municipalities: str = "norway"
    parameters: dict[str, Number] = {}
    design: Design = Design()
    output: str = ""
    run_time_limit: float = Field(default=3600.0, gt=0, strict=True)  # seconds one run may take before it is stopped

    @field_validator("structures")
    @classmethod
    def _known_structures(cls, v: list[str]) -> list[str]:
        for s in v:
            check_structure(s)
        return v

    @field_validator("measures")
    @classmethod
    def _known_measures(cls, v: list[list[str]]) -> list[list[str]]:
        if not v:
            raise ValueError("measures must list at least one measure set ([] = no measures)")
        return [list(check_measures(m)) for m in v]

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
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"replications must be a whole number >= 1 or an adaptive rule table, got {v!r}")
        return v

    @field_validator("parameters")
    @classmethod
    def _known_parameters(cls, v: dict[str, float]) -> dict[str, float]:
        validate(v)
        return v

    @property
    def output_dir(self) -> Path:
        """Where results go unless overridden on the command line."""
        return Path(self.output or f"results/{self.name}")


def _location(loc: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in loc if not str(x).startswith(("function-after", "function-before")))


def _explain(path: str, exc: ValidationError) -> str:
    err = exc.errors()[0]
    loc = _location(err["loc"])
    if err["type"] == "extra_forbidden":
        field = str(err["loc"][-1])
        parent = Scenario
        for part in err["loc"][:-1]:
            parent = {"design": Design}.get(str(part), parent)
        allowed = list(parent.model_fields)
        close = difflib.get_close_matches(field, allowed, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        return f"{path}: unknown field {loc!r}.{hint} Allowed fields: {', '.join(allowed)}."
    if err["type"] == "missing":
        return f"{path}: field {loc!r} is required."
    msg = err["msg"].removeprefix("Value error, ")
    return f"{path}: field {loc!r}: {msg} (got {err.get('input')!r})."


def scenario_from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict (for sweeps built in code)."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_explain(source, exc)) from None


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read and validate a scenario TOML file; ScenarioError says what is wrong and where."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read the scenario file ({exc.strerror}).") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}.") from None
    scenario = scenario_from_dict(data, str(path))
    if scenario.municipalities != "norway" and not Path(scenario.municipalities).is_absolute():
        scenario = scenario.model_copy(update={"municipalities": str(path.parent / scenario.municipalities)})
    return scenario

