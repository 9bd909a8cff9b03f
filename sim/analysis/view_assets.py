"""The browser assets of ``sim view``: what Solara's page loads, whether it is installed, and what to say if not.

Solara's server serves its page's JavaScript and CSS (the Vuetify app, require.js, Font Awesome,
the grid layout) from ``solara.server.settings.assets.proxy_cache_dir``, fetching what is missing
from a CDN (cdn.jsdelivr.net) on first use.  The ``solara-assets`` distribution, a dependency, fills
that folder when it is installed, so the view works offline; without the files and the CDN the page
would stay blank, so ``sim view`` checks first and says so in one line.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

# an exact npm version behind Solara's asset proxy: "{{cdn}}/pkg@1.2.3/..." (page template) or
# "${this.getCdn()}/pkg@1.2.3/..." (widgets that load their bundle on first use, e.g. GridDraggable)
PINNED = re.compile(r"(?:\{\{cdn\}\}|getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+[\w.-]*)/")
SOURCES = (("server", "templates"), ("widgets", "vue"))  # the page shell and the layout widgets
CDN_TIMEOUT = 3.0  # seconds to wait for the CDN before calling it unreachable


def wanted() -> list[str]:
    """Every exact ``package@version`` the view's page loads through Solara's asset proxy, for this ipyvue."""
    import solara
    from solara.server import server, settings

    root = Path(solara.__file__).parent
    packages = {settings.assets.fontawesome_path.strip("/").split("/css/")[0]}
    for parts in SOURCES:
        for path in root.joinpath(*parts).iterdir():
            if path.suffix in (".j2", ".vue", ".html"):
                packages.update(PINNED.findall(path.read_text(encoding="utf-8")))
    other_app = "solara-vuetify-app@" if server.vue3 else "solara-vuetify3-app@"  # the template has both
    return sorted(p for p in packages if other_app not in p)


def cache_dir() -> Path:
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing() -> list[str]:
    """The wanted packages that are not in Solara's asset folder."""
    folder = cache_dir()
    return [p for p in wanted() if not (folder / p / "package.json").is_file()]


def cdn_reachable() -> bool:
    import solara.settings

    try:
        with urllib.request.urlopen(solara.settings.assets.cdn, timeout=CDN_TIMEOUT):
            return True
    except urllib.error.HTTPError:  # it answered, if not for its root
        return True
    except (OSError, ValueError):  # no route, no name, refused, a timeout, a malformed address
        return False


def problem() -> str | None:
    """Why the view's page would be blank (Vue 3, or assets neither installed nor fetchable), or None when it can render."""
    from solara.server import server

    if server.vue3:
        return ("ipyvue 3 is installed, so Solara serves its Vue-3 page, where the grid that holds every component "
                "of Mesa's SolaraViz never loads (Solara's GridDraggable loads vue-grid-layout 2, a Vue-2 library: "
                "'GlobalVue.use is not a function'), so the page would stay blank: install \"ipyvue<3\" "
                "\"ipyvuetify<3\", as the project's dependencies ask")
    absent = missing()
    if not absent or cdn_reachable():
        return None
    import solara.settings

    return (f"Solara's browser assets {', '.join(absent)} are not in {cache_dir()} and {solara.settings.assets.cdn} "
            "cannot be reached, so the page would stay blank: install them (`pip install solara-assets`, whose "
            "version may lag Solara's), copy them there from a machine that has them, or connect once")
