"""Load and validate the actor tables and municipality populations the simulation runs on.

Every table ships as a CSV in ``sim/data`` (sources per figure in ``docs/DATA.md``).
Two municipality sets ship: ``"norway"`` (the default: SSB table 07459, 1 January 2024)
and ``"synthetic"`` (the earlier stand-in built by ``sim.data.synthetic``).
Municipalities can also come from a user's CSV (e.g. another export of SSB table 07459) or
a DataFrame; they are validated here, once, so the simulation core can trust them.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, fields
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd

from .checks import shown

# Shipped municipality sets -> their file in sim/data.  "norway" (the default) holds SSB table 07459,
# 1 January 2024 (NLOD 2.0; docs/DATA.md); "synthetic" the stand-in that matches the published size
# distribution, written by ``python -m sim.data.synthetic``.
DATASET_FILES: dict[str, str] = {"norway": "municipalities.csv", "synthetic": "municipalities_synthetic.csv"}
DATASETS: tuple[str, ...] = tuple(DATASET_FILES)

# RER grant (002 §"Rådgivende enheter for russaker"): 100 MNOK/year by the social-assistance
# key.  The key is modelled as population**RER_ALPHA; RER_ALPHA is fit_rer_alpha() on the
# default set (Oslo gets 18 MNOK, as the seed states), rounded to 4 decimals; a test re-runs
# the fit.  docs/DATA.md shows it.
RER_TOTAL_NOK = 100_000_000.0
RER_OSLO_NOK = 18_000_000.0
OSLO = 301
RER_ALPHA = 1.1314

# SSB size classes (DOMAIN.md): 0 = under 5,000; 1 = 5,000-19,999; 2 = 20,000 and over.
SIZE_CLASS_BOUNDS: tuple[int, int] = (5_000, 20_000)
SIZE_CLASS_NAMES: tuple[str, str, str] = ("small", "medium", "large")  # under, between and above the bounds

NUMBER_RANGE: tuple[int, int] = (101, 9999)
MAX_POPULATION = 100_000_000  # far above any municipality; keeps every sum of populations inside int64
SEPARATORS: tuple[str, ...] = (",", ";", "\t")
RER_POTS: tuple[str, ...] = ("national", "loaded")
MAX_LABEL = 300  # characters of a file name quoted in a message

# Canonical municipality column -> accepted header names (case-insensitive).
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "number": ("number", "kommunenummer", "municipality_number"),
    "name": ("name", "navn"),
    "county": ("county", "fylke"),
    "population": ("population", "folketall", "innbyggere"),
}
REQUIRED_COLUMNS: tuple[str, ...] = ("number", "name", "population")
MUNICIPALITY_COLUMNS: tuple[str, ...] = (
    "number", "name", "county", "statsforvalter", "korus", "population", "size_class", "rer_funding_nok",
)


class DataError(ValueError):
    """A data file or frame breaks a rule; the message names file, column, fault and what is allowed."""


def _fail(file: str, column: str | None, problem: str, allowed: str) -> DataError:
    file = file if len(file) <= MAX_LABEL else file[:MAX_LABEL - 3] + "..."
    where = f"{file}: column '{column}'" if column else file
    return DataError(f"{where}: {problem}. Allowed: {allowed}.")


@dataclass(frozen=True, eq=False)
class Actors:
    """The actor tables of one dataset, as loaded by :func:`load_actors`."""

    ministries: pd.DataFrame
    directorates: pd.DataFrame
    regional_offices: pd.DataFrame
    municipalities: pd.DataFrame

    def copy(self) -> Actors:
        """The same tables, copied: to change without touching the ones they came from."""
        return Actors(**{f.name: getattr(self, f.name).copy() for f in fields(self)})


def _read_shipped(file: str) -> pd.DataFrame:
    """Read a CSV from ``sim/data`` as strings, so codes such as ``03`` keep their form."""
    with resources.files("sim.data").joinpath(file).open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype=str, keep_default_na=False)


def _first(mask: np.ndarray | pd.Series) -> int:
    """Position of the first offending row (0-based)."""
    return int(np.flatnonzero(np.asarray(mask))[0])


def _booleans(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    values = frame[column].str.strip().str.lower()
    bad = ~values.isin(["true", "false"])
    if bad.any():
        raise _fail(file, column, f"data row {_first(bad) + 1} holds {shown(values[bad].iloc[0])}", "true, false")
    return values.eq("true")


def _ministries() -> pd.DataFrame:
    frame = _read_shipped("ministries.csv")
    return frame.assign(
        kubu_member=_booleans(frame, "kubu_member", "ministries.csv"),
        capacity_py=frame["capacity_py"].astype(float),
    )


def _directorates(ministry_codes: pd.Series) -> pd.DataFrame:
    file = "directorates.csv"
    frame = _read_shipped(file)
    unknown = sorted(set(frame["ministry"]) - set(ministry_codes))
    if unknown:
        raise _fail(file, "ministry", f"unknown ministry codes {unknown}", ", ".join(ministry_codes))
    return frame.assign(
        etatssamarbeid=_booleans(frame, "etatssamarbeid", file),
        relevance=frame["relevance"].astype(float),
        capacity_py=frame["capacity_py"].astype(float),
    )


def _regional_offices() -> pd.DataFrame:
    frame = _read_shipped("regional_offices.csv")
    counties = frame["counties"].map(lambda text: tuple(int(part) for part in text.split(";")))
    return frame.assign(counties=counties, capacity_py=frame["capacity_py"].astype(float))


@cache
def _county_table() -> pd.DataFrame:
    """counties.csv indexed by county number, plus the KoRus centre covering each county."""
    file = "counties.csv"
    frame = _read_shipped(file)
    frame = frame.assign(
        county_number=frame["county_number"].astype("int64"),
        municipality_count=frame["municipality_count"].astype("int64"),
    ).set_index("county_number", drop=False)
    offices = _regional_offices()
    covering = offices[offices["kind"] == "korus"].explode("counties").groupby("counties")["code"].agg(list)
    statsforvalter = sorted(offices.loc[offices["kind"] == "statsforvalter", "code"])
    for county, office in zip(frame.index, frame["statsforvalter"]):
        centres = covering.get(county, [])
        if len(centres) != 1:
            problem = f"county {county:02d} is covered by KoRus {centres}"
            raise _fail("regional_offices.csv", "counties", problem, "exactly one KoRus per county")
        if office not in statsforvalter:
            raise _fail(file, "statsforvalter", f"unknown office {office!r}", ", ".join(statsforvalter))
    return frame.assign(korus=[covering[county][0] for county in frame.index])


def _allowed_counties() -> str:
    table = _county_table()
    return ", ".join(f"{number:02d} {name}" for number, name in zip(table.index, table["county_name"]))


def _integers(values: pd.Series, file: str, column: str, allowed: str, high: float = NUMBER_RANGE[1] * 10) -> np.ndarray:
    """Whole numbers from strings or numbers up to ``high``; the first bad row is named in the error."""
    text = values.astype(str).str.strip()
    numeric = pd.to_numeric(text, errors="coerce").astype(float)
    bad = numeric.isna() | ~np.isfinite(numeric) | (numeric != np.floor(numeric))
    if bad.any():
        row = _first(bad)
        raise _fail(file, column, f"data row {row + 1} holds {shown(text.iloc[row])}, not an integer", allowed)
    large = numeric.abs() > high
    if large.any():
        row = _first(large)
        raise _fail(file, column, f"data row {row + 1} holds {shown(text.iloc[row])}, too large", allowed)
    return numeric.to_numpy(dtype="int64")


def _canonical_columns(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Rename accepted header aliases to the canonical names; fail on missing or doubled ones."""
    lookup = {alias: canonical for canonical, aliases in COLUMN_ALIASES.items() for alias in aliases}
    renames = {c: lookup[str(c).strip().lower()] for c in frame.columns if str(c).strip().lower() in lookup}
    found = list(renames.values())
    doubled = sorted({c for c in found if found.count(c) > 1})
    if doubled:
        allowed = "one of " + ", ".join(COLUMN_ALIASES[doubled[0]])
        raise _fail(file, doubled[0], "given more than once under different header names", allowed)
    missing = [c for c in REQUIRED_COLUMNS if c not in found]
    if missing:
        accepted = "; ".join(f"{c}: {', '.join(COLUMN_ALIASES[c])}" for c in missing)
        raise _fail(file, ", ".join(missing), "required column missing", f"header names (any case) {accepted}")
    return frame.rename(columns=renames)[[c for c in COLUMN_ALIASES if c in found]]


def _counties(frame: pd.DataFrame, numbers: np.ndarray, file: str) -> np.ndarray:
    """County numbers from the county column (number or name) or, without one, number // 100."""
    table = _county_table()
    if "county" not in frame.columns:
        counties = numbers // 100
        unknown = ~np.isin(counties, table.index)
        if unknown.any():
            row = _first(unknown)
            problem = f"data row {row + 1}: number {numbers[row]:04d} gives unknown county {counties[row]:02d}"
            raise _fail(file, "number", problem + " (number // 100; or add a county column)", _allowed_counties())
        return counties
    by_name = {name.lower(): number for number, name in zip(table.index, table["county_name"])}
    text = frame["county"].astype(str).str.strip()
    counties = np.array([int(v) if v.isdigit() else by_name.get(v.lower(), -1) for v in text], dtype="int64")
    unknown = ~np.isin(counties, table.index)
    if unknown.any():
        row = _first(unknown)
        problem = f"data row {row + 1} holds unknown county {shown(text.iloc[row])}"
        raise _fail(file, "county", problem, "county numbers or names " + _allowed_counties())
    return counties


def _enrich(
    numbers: np.ndarray, names: list[str] | np.ndarray, counties: np.ndarray, population: np.ndarray, file: str,
    key_total: float | None = None,
) -> pd.DataFrame:
    """Add the regional offices, the SSB size class and the RER grant to checked rows.

    The grant is ``RER_TOTAL_NOK`` × population**RER_ALPHA / ``key_total``; without a
    ``key_total`` the pot is shared over these rows.
    """
    table = _county_table()
    weight = population.astype("float64") ** RER_ALPHA
    total = weight.sum() if key_total is None else key_total
    if total == 0:
        allowed = "at least one municipality with inhabitants"
        raise _fail(file, "population", "all populations are 0, so the RER grant cannot be shared", allowed)
    return pd.DataFrame(
        {
            "number": numbers.astype("int64"),
            "name": pd.Series(names, dtype=str).to_numpy(),
            "county": counties.astype("int64"),
            "statsforvalter": table.loc[counties, "statsforvalter"].to_numpy(),
            "korus": table.loc[counties, "korus"].to_numpy(),
            "population": population.astype("int64"),
            "size_class": np.searchsorted(SIZE_CLASS_BOUNDS, population, side="right").astype("int64"),
            "rer_funding_nok": RER_TOTAL_NOK * weight / total,
        }
    )


def _read_source(source: str | os.PathLike[str] | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The frame to validate and the label that error messages name it by."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), "<DataFrame>"
    if isinstance(source, str) and source in DATASETS:
        return _read_shipped(DATASET_FILES[source]), f"{DATASET_FILES[source]} (dataset {source!r})"
    if not isinstance(source, str | os.PathLike):
        raise DataError(f"municipalities: expected a dataset name ({', '.join(DATASETS)}), a CSV path or a DataFrame, "
                        f"got {shown(source)}.")
    file = os.fspath(source)
    if not os.path.isfile(file):
        raise _fail(file, None, "no such file of municipalities", f"a CSV path or a dataset name: {', '.join(DATASETS)}")
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
    except UnicodeDecodeError:
        raise _fail(file, None, "the file is not UTF-8 text", "UTF-8 (re-save the export as UTF-8)") from None
    if not text.strip():
        raise _fail(file, None, "the file is empty", "a header line and one row per municipality")
    header = text.splitlines()[0]
    separator = max(SEPARATORS, key=header.count)  # SSB exports use comma, semicolon or tab; one column: comma
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, sep=separator, keep_default_na=False)
    except pd.errors.ParserError as exc:
        detail = str(exc).strip().rstrip(".")
        raise _fail(file, None, f"rows do not match the header ({detail}; separator {separator!r})",
                    "one value per header column on every row") from None
    return frame, file


def load_municipalities(source: str | os.PathLike[str] | pd.DataFrame = "norway",
                        rer_pot: str = "national") -> pd.DataFrame:
    """Municipalities with their regional offices, SSB size class and RER grant, in input order.

    ``source`` is a dataset name (``"norway"``: SSB table 07459, 1 January 2024;
    ``"synthetic"``: the synthetic stand-in; docs/DATA.md), a CSV path, or a DataFrame,
    with columns number, name, population and optionally county (header aliases in
    ``COLUMN_ALIASES``).  Without a county column the county is number // 100.  Any rule
    broken raises :class:`DataError`.  The RER grant (``rer_funding_nok``, 002 §RER:
    100 MNOK by the social-assistance key, modelled as population**RER_ALPHA) is shared
    by the national key (``rer_pot="national"``: a regional subset gets what its
    municipalities get in the whole country, the key's total taken from the default
    ``"norway"`` set) or over the rows loaded (``"loaded"``).  A shipped dataset is a
    whole country, so it shares the 100 MNOK over its own rows either way.
    """
    if rer_pot not in RER_POTS:
        raise DataError(f"rer_pot must be one of {', '.join(RER_POTS)}, got {shown(rer_pot)}.")
    frame, file = _read_source(source)
    frame = _canonical_columns(frame, file)
    if frame.empty:
        raise _fail(file, "number", "no rows", "one row per municipality")
    low, high = NUMBER_RANGE
    numbers = _integers(frame["number"], file, "number", f"integers {low}..{high}")
    outside = (numbers < low) | (numbers > high)
    if outside.any():
        row = _first(outside)
        raise _fail(file, "number", f"data row {row + 1} holds {numbers[row]}, out of range", f"integers {low}..{high}")
    values, counts = np.unique(numbers, return_counts=True)
    if (counts > 1).any():
        twice = values[counts > 1].tolist()
        listed = ", ".join(map(str, twice[:5])) + (f" and {len(twice) - 5:,} more" if len(twice) > 5 else "")
        raise _fail(file, "number", f"duplicate municipality numbers {listed}", "each number once")
    allowed = f"integers 0..{MAX_POPULATION:,}"
    population = _integers(frame["population"], file, "population", allowed, high=MAX_POPULATION)
    if (population < 0).any():
        row = _first(population < 0)
        problem = f"data row {row + 1} (number {numbers[row]}) holds {population[row]}, negative"
        raise _fail(file, "population", problem, allowed)
    if not population.any():  # whichever pot: a world without inhabitants has nobody to reach
        raise _fail(file, "population", "all populations are 0", "at least one municipality with inhabitants")
    names = frame["name"].astype(str).str.strip()
    if names.eq("").any():
        row = _first(names.eq(""))
        raise _fail(file, "name", f"data row {row + 1} (number {numbers[row]}) is empty", "a non-empty name")
    if isinstance(source, str) and source in DATASETS:
        key_total = _national_key_total(source)
    else:
        key_total = _national_key_total() if rer_pot == "national" else None
    return _enrich(numbers, names.to_numpy(), _counties(frame, numbers, file), population, file, key_total)


@cache
def _national_key_total(dataset: str = "norway") -> float:
    """Σ population**RER_ALPHA over a shipped national set: the denominator of the national RER key."""
    file = DATASET_FILES[dataset]
    population = _integers(_read_shipped(file)["population"], file, "population", "integers", high=MAX_POPULATION)
    return float((population.astype("float64") ** RER_ALPHA).sum())


def fit_rer_alpha(municipalities: pd.DataFrame | None = None, oslo_nok: float = RER_OSLO_NOK,
                  iterations: int = 60) -> float:
    """The exponent of the RER key that gives Oslo ``oslo_nok`` of the 100 MNOK: how ``RER_ALPHA`` was found.

    Bisection on [0.5, 2] for alpha with Oslo's share population**alpha / Σ population**alpha
    equal to ``oslo_nok`` / ``RER_TOTAL_NOK`` (the share grows with alpha, since Oslo is the
    largest).  ``municipalities`` needs columns number and population; default: the
    ``"norway"`` set.  ``RER_ALPHA`` is this value for the default set, rounded to 4 decimals.
    """
    frame = load_municipalities() if municipalities is None else municipalities
    population = frame["population"].to_numpy(dtype="float64")
    oslo = population[frame["number"].to_numpy() == OSLO]
    if len(oslo) != 1:
        raise ValueError(f"fit_rer_alpha: the municipalities must hold Oslo ({OSLO:04d}) once, found {len(oslo)}")
    target = oslo_nok / RER_TOTAL_NOK
    low, high = 0.5, 2.0
    for _ in range(iterations):
        alpha = (low + high) / 2
        share = oslo[0] ** alpha / (population**alpha).sum()
        low, high = (alpha, high) if share < target else (low, alpha)
    return (low + high) / 2


def load_actors(name: str = "norway") -> Actors:
    """All actor tables of dataset ``name``, typed (booleans as bool, counties as int tuples).

    The shipped files are parsed once per process; each call returns fresh copies.
    """
    if name not in DATASETS:
        raise DataError(f"load_actors: argument 'name': unknown dataset {shown(name)}. Allowed: {', '.join(DATASETS)}.")
    return shipped_actors(name).copy()


@cache
def shipped_actors(name: str = "norway") -> Actors:
    """The actor tables of a shipped dataset, parsed once per process and shared: never to be changed.

    Models read them without copying, so the worlds built from them share their actor columns
    (:func:`sim.simulation.world.actor_columns`); :func:`load_actors` gives copies to change.
    """
    ministries = _ministries()
    return Actors(
        ministries=ministries,
        directorates=_directorates(ministries["code"]),
        regional_offices=_regional_offices(),
        municipalities=load_municipalities(name),
    )


def synthetic_municipalities(n: int, seed: int = 0) -> pd.DataFrame:
    """A set of ``n`` municipalities with the default size distribution, for scaling benchmarks.

    Built on the default ``"norway"`` set (the real 2024 populations), so ``n = 357`` has
    the default populations and a multiple of 357 scales the real country.  Row i copies
    the default municipality at population quantile (i + 0.5) / n, so a multiple of 357
    repeats every default municipality equally often and keeps its size counts in
    proportion.  Copy k > 0 gets number k * 10,000 + the default
    number (numbers may exceed 9999, which :func:`load_municipalities` would refuse)
    and the name suffix " (kopi k)"; county, offices and size class are the original's.
    The RER grant shares 100 MNOK over the n rows.  ``seed`` only permutes the row
    order (numpy ``default_rng(seed)``), so agent order carries no size pattern.
    """
    if n < 1:
        raise ValueError(f"synthetic_municipalities: n must be >= 1, got n={n}")
    base = load_municipalities("norway").sort_values("population", ascending=False, kind="stable")
    pick = (2 * np.arange(n) + 1) * len(base) // (2 * n)
    copy = np.arange(n) - np.searchsorted(pick, pick)
    rows = base.iloc[pick].reset_index(drop=True)
    frame = _enrich(
        copy * 10_000 + rows["number"].to_numpy(),
        [f"{name} (kopi {k})" if k else name for name, k in zip(rows["name"], copy)],
        rows["county"].to_numpy(),
        rows["population"].to_numpy(),
        f"synthetic_municipalities(n={n})",
    )
    order = np.random.default_rng(seed).permutation(n)
    return frame.iloc[order].reset_index(drop=True)
