"""The Jinja environment both pages render in: the templates/ folder, autoescaping, and the filters they format with.

Jinja2 rather than f-strings: the markup of a page lives in one template a reader can see
whole, both pages share one shell (``page.html``) and style sheet, and every value is
escaped unless it is markup already, so no section can forget to.
"""

from __future__ import annotations

import base64
import math
import time
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sim import __version__
from sim.experiments.labels import measures_label, model_label, pretty


def fmt(value: float | None, digits: int = 3) -> str:
    """A number as a table shows it: three decimals below 10, one below 100, none above; ``–`` for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float) and math.isinf(value):
        return "∞" if value > 0 else "−∞"
    magnitude = abs(value)
    if magnitude >= 100:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    return f"{value:.{digits}f}"


def design_value(value: Any) -> str:
    """A design value in words: numbers as %g, lists of codes joined, text as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return f"{value:g}"


def png(data: bytes, dpi: int) -> dict[str, Any]:
    """A PNG inline (``src``), and its printed width in CSS pixels (``width``), so text is one size in every figure."""
    width = int.from_bytes(data[16:20], "big") if data[:8] == b"\x89PNG\r\n\x1a\n" else 0
    return {"src": "data:image/png;base64," + base64.b64encode(data).decode("ascii"),
            "width": round(width / dpi * 96) if width else None}


@cache
def environment() -> Environment:
    env = Environment(loader=PackageLoader("sim.analysis.report"), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, extensions=["jinja2.ext.do"], trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(fmt=fmt, g="{:g}".format, value=design_value, pretty=pretty, model_label=model_label,
                       measures_label=measures_label)
    env.tests["finite"] = lambda value: isinstance(value, int | float) and math.isfinite(value)
    return env


def render_page(template: str, **context: Any) -> str:
    """One page of ``templates/`` as HTML, stamped with the package version and the time it was written."""
    return environment().get_template(template).render(version=__version__, created=time.strftime("%Y-%m-%d %H:%M"),
                                                       **context)
