"""The interactive view (`sim view`): the SolaraViz page in a real browser, and its parts without one.

The browser test starts `sim view` on a free port, opens it in headless Chromium (Debian's
/usr/bin/chromium through the playwright package; no browser is ever downloaded), checks that
the actor network and the criteria render, steps the model and picks another organisation model
and a measure, with the CDN that Solara would fetch missing browser assets from pointed at a dead
address: the page renders offline, from the assets the solara-assets distribution installed.
Without Chromium it skips, except in CI (``CI`` set), where it fails.  A
screenshot goes to ``tmp_path`` and, if ``SIM_SCREENSHOT_DIR`` is set, there too.
"""

from __future__ import annotations

import inspect
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from sim import CRITERIA, CoordinationModel
from sim.cli import main
from sim.simulation.structures import catalogue

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
START_TIMEOUT_S = 240  # a fresh CI venv compiles the numba kernels when the server imports the model
UI_TIMEOUT_MS = 120_000
OFFLINE = {"SOLARA_ASSETS_CDN": "http://127.0.0.1:9/npm/"}  # port 9 (discard): nothing answers, as without a network
# the week line as the page shows it; '' while Mesa redraws the components (on Mesa 3.5 a Reset replaces them)
WEEK_LINE = "(document.querySelector('.sim-week')?.innerText ?? '')"
AT_WEEK = f"w => {WEEK_LINE}.startsWith('Week ' + w + ' ')"


def _unavailable(reason: str) -> None:
    """Skip locally; in CI, where the environment is meant to have it all, fail."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


# --- the parts, without a browser ---

def test_view_model_has_one_switch_per_measure_and_builds_the_same_model():
    from sim.analysis.viz import MEASURES, MODEL_PARAMS, ViewModel

    assert MEASURES == tuple(catalogue().measures)
    assert set(MODEL_PARAMS) == {"structure", "seed", "horizon_weeks", "mandate_change", *MEASURES}
    assert MODEL_PARAMS["structure"]["values"] == list(catalogue().models)
    assert all(MODEL_PARAMS[m]["type"] == "Checkbox" and MODEL_PARAMS[m]["value"] is False for m in MEASURES)
    view = ViewModel(structure="model2", seed=7, outreach=True, state_support=True, digital_youth=False)
    plain = CoordinationModel(structure="model2", measures=("state_support", "outreach"), seed=7, horizon_weeks=520)
    assert view.measures == plain.measures == ("outreach", "state_support")
    view.run_weeks(20)
    plain.run_weeks(20)
    assert view.criteria() == plain.criteria()
    assert np.array_equal(view.state.level, plain.state.level)
    changed = ViewModel(structure="model3", seed=7, mandate_change="104")
    assert changed.mandate_change_week == 104 and ViewModel(structure="model3").mandate_change_week is None


def test_mesa_accepts_the_sidebar_parameters():
    from mesa.visualization.solara_viz import _check_model_params

    from sim.analysis.viz import MODEL_PARAMS, ViewModel

    _check_model_params(ViewModel.__init__, MODEL_PARAMS)  # raises on a parameter the model does not take
    defaults = {k: v["value"] for k, v in MODEL_PARAMS.items()}
    model = ViewModel(**defaults)
    try:  # what SolaraViz's Reset passes: Mesa 3.5 adds a default Scenario
        from mesa.visualization.solara_viz import _build_model_init_kwargs
    except ImportError:  # Mesa 3.3: the sidebar's values as they are
        kwargs = defaults
    else:
        kwargs = _build_model_init_kwargs(model, defaults, add_scenario_when_empty=True,
                                          require_model_accepts_scenario=True)
    model = ViewModel(**kwargs)
    assert model.structure == "baseline" and model.measures == () and model.horizon_weeks == 520
    assert "seed" in inspect.signature(ViewModel.__init__).parameters


def test_view_figures_and_status_line_follow_the_model():
    from matplotlib.collections import LineCollection

    from sim.analysis.viz import ViewModel, criteria_figure, describe, network_figure

    model = ViewModel(structure="model3", seed=3, rer_contact_point=True)
    assert describe(model) == "Week 0 of 520 (year 0.0) · model3 · rer_contact_point · seed 3"
    model.run_weeks(52)
    assert describe(model).startswith("Week 52 of 520 (year 1.0) · model3")
    edges = [c for c in network_figure(model).axes[0].collections if isinstance(c, LineCollection)]
    assert len(edges[0].get_segments()) == int((model.relations()["level"] >= 1).sum())
    ax = criteria_figure(model).axes[0]
    assert [line.get_label() for line in ax.lines] == [c.replace("_", " ") for c in CRITERIA]
    assert all(len(line.get_xdata()) == 53 for line in ax.lines)


def test_page_is_exposed_for_solara_run():
    import reacton.core

    import sim.analysis.viz

    assert isinstance(sim.analysis.viz.page, reacton.core.Element)


def test_under_vue_3_the_view_says_it_would_be_blank(monkeypatch):
    from solara.server import server

    from sim.view_assets import problem

    assert not server.vue3  # ipyvue < 3, as pyproject.toml asks: the page renders (the browser test)
    monkeypatch.setattr(server, "vue3", True)
    assert "'GlobalVue.use is not a function'" in problem() and 'install "ipyvue<3"' in problem()


def test_view_rejects_a_bad_port(capsys):
    assert main(["view", "--port", "0"]) == 2
    assert "--port must be 1-65535" in capsys.readouterr().err


# --- the real thing, in a browser ---

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


@pytest.fixture
def view_server(tmp_path):
    """`sim view` on a free port, in its own process group; yields (url, log path); always stopped."""
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "view", "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True, env={**os.environ, **OFFLINE})
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`sim view` exited with {proc.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
            try:
                if _get(url, timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`sim view` did not answer within {START_TIMEOUT_S} s:\n"
                            f"{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield url, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # sim view and the solara server it started
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)


def _check_assets(url: str) -> None:
    """Every asset the page names is served with the CDN unreachable: it comes from the installed assets."""
    _, html = _get(url)
    assets = sorted(set(re.findall(r'(?:href|src)="(/_solara/cdn/[^"]+)"', html.decode("utf-8", "replace"))))
    assert assets, "the page names no Solara assets: the template changed?"
    missing = [a for a in assets if _get(url.rstrip("/") + a, timeout=60)[0] != 200]
    assert not missing, f"served neither from the installed assets nor (offline) the CDN: {missing}"


def test_without_its_assets_and_the_cdn_the_view_says_so_in_one_line(tmp_path):
    empty = tmp_path / "no-assets"
    done = subprocess.run([sys.executable, "-m", "sim.cli", "view", "--port", str(_free_port())], timeout=120,
                          capture_output=True, text=True,
                          env={**os.environ, **OFFLINE, "SOLARA_ASSETS_PROXY_CACHE_DIR": str(empty)})
    assert done.returncode == 3
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1
    assert done.stderr.startswith("sim view: error: Solara's browser assets @widgetti/")
    assert f"are not in {empty} and http://127.0.0.1:9/npm/ cannot be reached" in done.stderr


def _week(page) -> str:
    return page.locator(".sim-week").inner_text()


@pytest.mark.slow
@pytest.mark.timeout(480)  # the server may take START_TIMEOUT_S to start, then the page its own
def test_view_in_a_browser_shows_the_network_and_steps_and_plays_the_model(view_server, tmp_path):
    if not CHROMIUM.exists():
        _unavailable(f"no Chromium at {CHROMIUM}")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (dev extras)")
    url, log = view_server
    _check_assets(url)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            try:
                _play_with_the_view(page, url)
            except PlaywrightError as exc:  # say what the page showed, and keep a picture of it
                _screenshot(page, tmp_path / "view-failed.png")
                raise AssertionError(f"{exc.message.splitlines()[0]}; the page's week line: {page.evaluate(WEEK_LINE)!r}; page "
                                     f"errors: {errors}; server log:\n{log.read_text(errors='replace')[-3000:]}") from None
            _screenshot(page, tmp_path / "view.png")
            assert not errors, errors
        finally:
            browser.close()


def _play_with_the_view(page, url: str) -> None:
    """What a user does: look at the page, step, pick another model and a measure, reset, step, play, pause."""
    page.goto(url, wait_until="domcontentloaded", timeout=UI_TIMEOUT_MS)
    page.wait_for_selector(".sim-network img", state="visible", timeout=UI_TIMEOUT_MS)

    # the network is an image drawn by actor_network, with the week above it, and the criteria beside it
    network = page.locator(".sim-network img")
    assert network.evaluate("img => img.naturalWidth") > 300
    assert network.bounding_box()["height"] > 200
    assert page.locator(".sim-criteria img").is_visible()
    assert not page.get_by_text("Page 0").is_visible()  # one page: no tab labelled "Page 0"
    assert _week(page).startswith("Week 0 of 520 (year 0.0) · baseline · no measures · seed 42")
    first_image = network.get_attribute("src")

    # Step advances the model one week; the network is redrawn
    step = page.get_by_role("button", name="Step")
    for week in (1, 2, 3):
        step.click()
        page.wait_for_function(AT_WEEK, arg=week, timeout=UI_TIMEOUT_MS)
    page.wait_for_function("src => document.querySelector('.sim-network img').src !== src",
                           arg=first_image, timeout=UI_TIMEOUT_MS)

    # another organisation model and a measure, then Reset builds that model at week 0
    page.locator(".v-select").first.click()
    page.get_by_role("option", name="model3").click()
    page.get_by_text("outreach", exact=True).click()
    page.get_by_role("button", name="Reset").click()
    page.wait_for_function(f"() => {WEEK_LINE}.startsWith('Week 0 of 520 (year 0.0) · model3 · outreach')",
                           timeout=UI_TIMEOUT_MS)
    for week in (1, 2, 3, 4):
        step.click()
        page.wait_for_function(AT_WEEK, arg=week, timeout=UI_TIMEOUT_MS)
    # play runs on by itself until paused
    page.get_by_role("button", name="▶").click()
    page.get_by_role("button", name="❚❚").wait_for(timeout=UI_TIMEOUT_MS)  # playing
    page.wait_for_function(f"() => parseInt({WEEK_LINE}.split(' ')[1]) >= 8", timeout=UI_TIMEOUT_MS)
    page.get_by_role("button", name="❚❚").click()
    page.get_by_role("button", name="▶").wait_for(timeout=UI_TIMEOUT_MS)
    page.wait_for_timeout(500)  # let the last image arrive before the screenshot


def _screenshot(page, path: Path) -> None:
    """The whole page into ``path``, and into $SIM_SCREENSHOT_DIR if set (CI keeps it)."""
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    if os.environ.get("SIM_SCREENSHOT_DIR"):
        target = Path(os.environ["SIM_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target / path.name)


_SLOW_SERVER = """
import socket, sys, time
time.sleep(1.0)  # a server that takes a while before it listens, as Solara does
with socket.socket() as s:
    s.bind(("127.0.0.1", int(sys.argv[1])))
    print("listening", flush=True)  # just before it does: "ready" can only come after this line
    s.listen()
    time.sleep(1.0)
"""


def test_sim_view_says_ready_only_once_the_server_listens(capfd):
    from sim.cli.view import serve

    port = _free_port()
    assert serve([sys.executable, "-c", _SLOW_SERVER, str(port)], "127.0.0.1", port, poll_s=0.05) == 0
    lines = capfd.readouterr().out.splitlines()
    assert lines[0].startswith(f"sim view: starting the server for http://127.0.0.1:{port}/")
    assert lines.index("listening") < lines.index(f"sim view: ready at http://127.0.0.1:{port}/")  # not before
    assert len(lines) == 3


def test_sim_view_refuses_a_port_something_already_listens_on(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        assert main(["view", "--port", str(taken.getsockname()[1])]) == 3
    assert "already listens" in capsys.readouterr().err
