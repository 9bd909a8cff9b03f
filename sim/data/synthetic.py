"""Deterministic generator of the synthetic municipalities (``municipalities_synthetic.csv``, dataset ``"synthetic"``).

This set was the default while real per-municipality populations (SSB table 07459) could
not be obtained where the package was built; the default ``"norway"`` set
(``municipalities.csv``) now holds SSB's 1 January 2024 figures, and this one ships beside
it as dataset ``"synthetic"``.  It matches Norway's published size distribution
(DOMAIN.md, NPK January 2020): the seven municipalities above 100,000 carry their real
numbers and approximate 2020 populations; the other 350 follow a monotone quantile
function, linear in log-population between the anchor ranks below, and are interleaved
over the counties of ``counties.csv``.  No randomness is used.

``python -m sim.data.synthetic`` rewrites ``municipalities_synthetic.csv``; the tests check
that the committed file equals :func:`render` byte for byte.  See ``docs/DATA.md``.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

HERE = Path(__file__).parent
OUTPUT = "municipalities_synthetic.csv"

# The seven municipalities above 100,000 (DOMAIN.md), largest first:
# (number, name, approximate population 1 January 2020).
NAMED: tuple[tuple[int, str, int], ...] = (
    (301, "Oslo", 693_494),
    (4601, "Bergen", 283_929),
    (5001, "Trondheim", 205_163),
    (1103, "Stavanger", 143_574),
    (3201, "Bærum", 127_731),
    (4204, "Kristiansand", 111_633),
    (3301, "Drammen", 101_386),
)

# (rank, population) with rank 1 = largest.  A half rank puts a threshold between two
# municipalities, so the counts at that threshold hold exactly.
ANCHORS: tuple[tuple[float, float], ...] = (
    (7.0, 101_386.0),  # Drammen, the 7th and last above 100,000 (NPK 2020)
    (19.5, 50_000.0),  # 19 above 50,000 (NPK 2020)
    (44.5, 25_000.0),  # 44 above 25,000 (NPK 2020)
    (100.5, 10_000.0),  # 100 at 10,000 or more: assumption, sets the mean
    (181.5, 5_000.0),  # 176 (49.3 %) under 5,000: assumption (SSB size-class boundary)
    (336.5, 1_000.0),  # 21 below 1,000 (NPK 2020)
    (357.0, 190.0),  # smallest, like Utsira: under 200 (NPK 2020)
)


def county_counts() -> dict[int, int]:
    """Municipalities per county number, from ``counties.csv`` (the single source)."""
    with (HERE / "counties.csv").open(encoding="utf-8", newline="") as handle:
        return {int(row["county_number"]): int(row["municipality_count"]) for row in csv.DictReader(handle)}


def populations(total: int) -> list[int]:
    """Populations by rank, largest first: the named seven, then the quantile function."""
    if total != ANCHORS[-1][0]:
        raise ValueError(f"counties.csv sums to {total} municipalities; the anchors need {ANCHORS[-1][0]:.0f}")
    values = [population for _, _, population in NAMED]
    for rank in range(len(NAMED) + 1, total + 1):
        (r0, p0), (r1, p1) = next((a, b) for a, b in zip(ANCHORS, ANCHORS[1:]) if a[0] <= rank <= b[0])
        share = (rank - r0) / (r1 - r0)
        values.append(round(math.exp(math.log(p0) + share * (math.log(p1) - math.log(p0)))))
    return values


def build() -> list[tuple[int, str, int, int]]:
    """Rows ``(number, name, county, population)`` sorted by number.

    Synthetic ranks go, largest first, to the county furthest behind its pro-rata
    quota (ties: lowest county number), so every county gets a spread of sizes.
    Numbers are county * 100 + a running index that skips the named numbers.
    """
    counts = county_counts()
    pops = populations(sum(counts.values()))
    named_numbers = {number for number, _, _ in NAMED}
    rows = [(number, name, number // 100, population) for number, name, population in NAMED]
    slots = {county: count - sum(1 for n in named_numbers if n // 100 == county) for county, count in counts.items()}
    total = sum(slots.values())
    given = dict.fromkeys(slots, 0)
    next_index = dict.fromkeys(slots, 1)
    for position, population in enumerate(pops[len(NAMED) :]):
        county = max(sorted(slots), key=lambda c: slots[c] * (position + 1) - given[c] * total)
        given[county] += 1
        while county * 100 + next_index[county] in named_numbers:
            next_index[county] += 1
        number = county * 100 + next_index[county]
        next_index[county] += 1
        rows.append((number, f"Syntetisk kommune {number:04d}", county, population))
    return sorted(rows)


def render() -> str:
    """The CSV text of ``municipalities_synthetic.csv`` (numbers zero-padded as SSB writes them)."""
    lines = ["number,name,county,population"]
    lines += [f"{number:04d},{name},{county:02d},{population}" for number, name, county, population in build()]
    return "\n".join(lines) + "\n"


def main() -> None:
    """Rewrite ``municipalities_synthetic.csv`` next to this module."""
    (HERE / OUTPUT).write_text(render(), encoding="utf-8", newline="")


if __name__ == "__main__":
    main()
