"""Fill Solara's asset cache from the npm registry, for machines that cannot reach cdn.jsdelivr.net.

`sim view` serves a Solara page whose browser bundles (the Vuetify app, require.js,
Font Awesome, the grid layout) Solara's server fetches from jsdelivr on first use and caches in
``solara.server.settings.assets.proxy_cache_dir`` (``$SOLARA_ASSETS_PROXY_CACHE_DIR``,
default ``<prefix>/share/solara/cdn``).  jsdelivr serves npm packages file by file, so
the same files come from ``npm pack``.  Run with the project's Python:

    .venv/bin/python .ci/solara_assets.py

Packages already in the cache are left alone; nothing is fetched when all are there.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# an exact npm version behind Solara's asset proxy: "{{cdn}}/pkg@1.2.3/..." (page template) or
# "${this.getCdn()}/pkg@1.2.3/..." (widgets that load their bundle on first use, e.g. GridDraggable)
PINNED = re.compile(r"(?:\{\{cdn\}\}|getCdn\(\)\})/((?:@[\w.-]+/)?[\w.-]+@\d+\.\d+\.\d+[\w.-]*)/")
SOURCES = (("server", "templates"), ("widgets", "vue"))  # the page shell and the layout widgets


def wanted() -> list[str]:
    """Every exact ``package@version`` that Solara's page and layout widgets load through its asset proxy."""
    import solara
    from solara.server import settings

    root = Path(solara.__file__).parent
    packages = {settings.assets.fontawesome_path.strip("/").split("/css/")[0]}
    for parts in SOURCES:
        for path in root.joinpath(*parts).iterdir():
            if path.suffix in (".j2", ".vue", ".html"):
                packages.update(PINNED.findall(path.read_text(encoding="utf-8")))
    return sorted(packages)


def main() -> int:
    from solara.server import settings

    cache = Path(settings.assets.proxy_cache_dir)
    missing = [p for p in wanted() if not (cache / p / "package.json").exists()]
    if not missing:
        print(f"solara assets: all present in {cache}")
        return 0
    npm = shutil.which("npm")
    if npm is None:
        print(f"solara assets: {', '.join(missing)} missing from {cache} and npm is not installed", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        for package in missing:
            out = subprocess.run([npm, "pack", package, "--silent", "--pack-destination", tmp], check=True,
                                 capture_output=True, text=True).stdout.strip().splitlines()[-1]
            target = cache / package
            with tarfile.open(Path(tmp) / out) as tar:
                root = Path(tmp) / "x" / package
                tar.extractall(root, filter="data")
            shutil.rmtree(target, ignore_errors=True)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(root / "package"), target)
            print(f"solara assets: {package} -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
