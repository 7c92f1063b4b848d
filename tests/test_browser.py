"""End-to-end tests in headless Chromium (Debian's ``chromium`` driven by Playwright).

Every page loads without a browser console error or a Dash error, every graph has
traces, the compare page shows its difference table, and the launcher runs a small
run to the end and it appears in the run picker. Set ``CREDITSIM_SCREENSHOTS`` to a
folder to save a screenshot of each page there (docs/screenshots is made this way).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import yaml
from conftest import PATHS, POLICY_B, small_config, synthetic_notes

from dashboard.pages.compare import DID

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("CREDITSIM_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = os.environ.get("CREDITSIM_SCREENSHOTS")
ERROR_OVERLAY = (".dash-fe-error-item, .dash-fe-error-top__group, "
                 ".dash-debug-menu__error-indicator, .dash-debug-menu__error-count")
TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def server(run_store, demo_run, tmp_path_factory):
    """The dashboard over the test store, in debug mode (so errors would show), on a free port."""
    from werkzeug.serving import make_server

    from dashboard.app import create_app
    from dashboard.launcher import LaunchLimits

    configs = tmp_path_factory.mktemp("configs")
    tiny = small_config({"name": "tiny", "book": {"initial_borrowers": 300,
                                                  "new_borrowers_per_month": 10,
                                                  "horizon_months": 12}})
    (configs / "tiny.yaml").write_text(yaml.safe_dump(tiny))
    app = create_app(run_store, configs_dir=configs,
                     limits=LaunchLimits(max_borrower_months=10_000_000),
                     cache_dir=tmp_path_factory.mktemp("cache"))
    app.enable_dev_tools(debug=True, dev_tools_hot_reload=False,
                         dev_tools_disable_version_check=True)
    httpd = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} not found: run scripts/install-browser.sh (Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(TIMEOUT_MS)
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    yield pg
    context.close()


def _ids(run_store) -> dict[str, str]:
    """A run id of each run name in the store (one of them when runs share a name)."""
    from dashboard.data import scan_store

    return {r.name: r.run_id for r in scan_store(run_store).values()}


def _all_ids(run_store) -> set[str]:
    """Every run id in the store: runs launched twice share a name, not an id."""
    from dashboard.data import scan_store

    return {r.run_id for r in scan_store(run_store).values()}


def _open(page, url: str, graphs: list[str], shot: str | None = None) -> None:
    """Load ``url``, wait until every graph has traces, and check for errors."""
    page.goto(url)
    page.wait_for_selector("#page > *")
    for g in graphs:
        page.wait_for_function(
            "id => { const el = document.querySelector('#' + id + ' .js-plotly-plot');"
            " return el && el.data && el.data.length > 0; }", arg=g)
    page.wait_for_timeout(300)
    _assert_clean(page)
    if shot:
        _screenshot(page, shot)


def _screenshot(page, name: str) -> None:
    """Save a full-page screenshot without the debug menu, when screenshots are asked for."""
    if not SCREENSHOTS:
        return
    page.add_style_tag(content=".dash-debug-menu__outer, .dash-debug-menu "
                               "{ display: none !important; }")
    page.wait_for_timeout(500)
    Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _assert_clean(page) -> None:
    assert page.errors == [], page.errors
    assert page.locator(ERROR_OVERLAY).count() == 0


def _trace_counts(page, graphs: list[str]) -> dict[str, int]:
    return {g: page.evaluate(
        "id => document.querySelector('#' + id + ' .js-plotly-plot').data.length", g)
        for g in graphs}


PORTFOLIO = ["portfolio-receivables", "portfolio-delinquency", "portfolio-charge-off",
             "portfolio-cumulative-charge-off", "portfolio-recoveries", "portfolio-unemployment",
             "portfolio-buckets", "portfolio-vintages", "portfolio-roll-rates"]
COLLECTIONS = ["collections-actions", "collections-cost", "collections-cures",
               "collections-net-recovery", "collections-capacity"]
ABS = ["abs-balances", "abs-loss-histogram", "abs-loss-exceedance", "abs-sankey",
       "abs-excess-spread", "abs-reserve", "abs-oc"]
COMPARE = ["compare-difference", "compare-receivables", "compare-dpd30",
           "compare-cumulative-charge-off", "compare-unemployment"]


def test_runs_page_lists_the_store(server, page, run_store):
    _open(page, server + "/", [], shot="runs")
    page.wait_for_selector("#runs-table tbody tr")
    text = page.inner_text("#runs-table")
    for run_id in _all_ids(run_store):
        assert run_id in text


def test_portfolio_page(server, page, run_store):
    run = _ids(run_store)["baseline"]
    _open(page, f"{server}/portfolio?a={run}", PORTFOLIO, shot="portfolio")
    counts = _trace_counts(page, PORTFOLIO)
    assert counts["portfolio-receivables"] == 3  # band (2 traces) and median
    assert page.locator("#portfolio-summary .kpi").count() >= 6
    # the vintage curves' subtitle is left clear of their by accounts / by balance buttons
    sub, buttons = page.evaluate(
        "() => ['.gtitle-subtitle', '.updatemenu-container'].map(s => { const r = document"
        ".querySelector('#portfolio-vintages ' + s).getBoundingClientRect();"
        " return [r.left, r.top, r.right, r.bottom]; })")
    assert sub[2] <= buttons[0] or sub[3] <= buttons[1], (sub, buttons)


LAUNCH_MARKED = ["portfolio-delinquency", "portfolio-charge-off", "portfolio-buckets"]


def test_the_launch_words_stand_between_the_title_and_the_plot(server, page, run_store):
    """Issue example: on the delinquency by bucket, 'launch: months 0-11, ...' ran over the
    chart's launch peak. Its words lie below the title and above the plot area, so that no
    data can be drawn under them."""
    run = _ids(run_store)["baseline"]
    _open(page, f"{server}/portfolio?a={run}", LAUNCH_MARKED)
    for g in LAUNCH_MARKED:
        title, words, plot = page.evaluate(
            "id => { const root = document.getElementById(id);"
            " const box = e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; };"
            " const words = [...root.querySelectorAll('.annotation')]"
            ".find(a => a.textContent.startsWith('launch'));"
            " return [box(root.querySelector('.gtitle')), box(words),"
            " box(root.querySelector('.nsewdrag'))]; }", g)
        assert title[1] <= words[0] and words[1] <= plot[0], (g, title, words, plot)


def test_collections_page(server, page, demo_run):
    _open(page, f"{server}/collections?a={demo_run.run_id}", COLLECTIONS, shot="collections")
    for g in COLLECTIONS:  # every title line lies below the modebar's band and above the plot
        page.hover(f"#{g} .js-plotly-plot")
        box = page.evaluate(
            "id => { const root = document.getElementById(id);"
            " const r = s => root.querySelector(s).getBoundingClientRect();"
            " const sub = root.querySelector('.gtitle-subtitle');"
            " const bottom = sub ? sub.getBoundingClientRect().bottom : r('.gtitle').bottom;"
            " return [r('.gtitle').top, bottom, r('.modebar').bottom, r('.nsewdrag').top]; }", g)
        title_top, title_bottom, modebar_bottom, plot_top = box
        assert modebar_bottom <= title_top and title_bottom <= plot_top, (g, box)
    # the money collected chart's three subtitle lines follow each other without a gap
    lines = page.evaluate("() => [...document.querySelectorAll("
                          "'#collections-net-recovery .gtitle-subtitle tspan.line')]"
                          ".map(t => t.getBoundingClientRect().top)")
    assert len(lines) >= 2, lines
    assert all(0 < b - a <= 18 for a, b in zip(lines, lines[1:], strict=False)), lines


def test_abs_page(server, page, demo_run):
    _open(page, f"{server}/abs?a={demo_run.run_id}", ABS, shot="abs")
    assert not page.locator(".dash-slider-tooltip").is_visible()  # only while hovered
    assert page.locator("#abs-summary tbody tr").count() == 3
    triggers = page.evaluate("() => { const el = document.querySelector("
                             "'#abs-triggers .js-plotly-plot'); return [el.data.length, "
                             "(el.layout.annotations || []).map(a => a.text).join(' ')]; }")
    assert triggers[0] > 0 or "no trigger fired on any path" in triggers[1]
    # credit enhancement over time: fans by period, and the deal's missing PDL in words
    from dashboard.figures.abs import NO_PDL

    page.wait_for_selector(f"#abs-pdl .annotation-text:has-text('{NO_PDL}')")
    caption = page.inner_text("#abs-enhancement-caption")
    assert "period 1: month 6" in caption  # the small deal's cut-off is month 6
    axis = page.text_content("#abs-excess-spread .g-xtitle")  # SVG: no inner text
    assert axis == "payment period (a month; period 1 = month 6 of the horizon)"
    assert "% of pool, annualised" in page.text_content("#abs-excess-spread .g-ytitle")



OVERFLOW_JS = """id => { const el = document.getElementById(id);
  return [el.scrollWidth, el.clientWidth, document.documentElement.scrollWidth,
          document.documentElement.clientWidth]; }"""


def test_the_tranche_table_fits_a_1400_pixel_window(server, page, demo_run):
    """The tranche summary (eleven columns; on the fixture's few paths every loss quantile is
    'n/a' with the paths it needs, its widest content) is read without scrolling sideways in
    a window 1,400 pixels wide, and its headers say in a tooltip what they mean."""
    assert page.viewport_size["width"] == 1400
    _open(page, f"{server}/abs?a={demo_run.run_id}", [])
    page.wait_for_selector("#abs-summary tbody tr")
    box_scroll, box_width, page_scroll, page_width = page.evaluate(OVERFLOW_JS, "abs-summary")
    assert box_scroll <= box_width, (box_scroll, box_width)
    assert page_scroll <= page_width, (page_scroll, page_width)
    assert "present value" in page.get_attribute("#abs-summary th:nth-child(2)", "title")


LEGEND_CLEARANCE_JS = """async width => {
  const g = document.getElementById('fig');
  await Plotly.relayout(g, {width: width});
  const title = g.querySelector('.g-xtitle text').getBoundingClientRect();
  const items = [...g.querySelectorAll('.legend .legendtext')];
  return [title.bottom, Math.min(...items.map(t => t.getBoundingClientRect().top))];
}"""


def test_abs_legends_sit_below_the_x_axis_title_at_every_width(browser):
    """Issue example: the note balances' x-axis title ran into the legend under it. The
    legend was placed a share of the plot's height below the plot, and a legend that wraps
    into more rows shrinks the plot, so it climbed into the title (by up to 56 px, and 38 px
    on the trigger chart). Each figure is drawn by plotly.js and measured from 350 to 1000
    px wide, the widths of a card on a phone to a wide screen."""
    from dashboard.aggregate import abs as agg
    from dashboard.figures import abs as figs

    notes = synthetic_notes()
    notes["note"] = notes["note"].map({"A": "senior", "B": "mezzanine", "C": "subordinated"})
    figures = {
        "note balances": figs.note_balance_fan(agg.note_balance_fans(notes),
                                               ["senior", "mezzanine", "subordinated"]),
        "trigger timing": figs.trigger_timing(agg.trigger_timing(notes)),
    }
    page = browser.new_page()
    try:
        for name, fig in figures.items():
            page.set_content(fig.to_html(include_plotlyjs=True, full_html=True, div_id="fig"))
            page.wait_for_function("() => document.querySelector('#fig .legend .legendtext')")
            for width in range(350, 1001, 25):
                title_bottom, legend_top = page.evaluate(LEGEND_CLEARANCE_JS, width)
                assert legend_top >= title_bottom + 4, (name, width, title_bottom, legend_top)
    finally:
        page.close()


def test_abs_page_without_a_deal_says_so(server, page, run_store):
    _open(page, f"{server}/abs?a={_ids(run_store)['baseline']}", [])
    page.wait_for_selector("#abs-note:has-text('no ABS deal')")
    assert not page.locator("#abs-content").is_visible()


def test_compare_page_shows_the_difference_table(server, page, run_store):
    ids = _ids(run_store)
    _open(page, f"{server}/compare?a={ids['baseline']}&b={ids['tighter-limits']}", COMPARE)
    rows = page.locator("#compare-table tbody tr")
    assert rows.count() >= 6
    assert "%" in rows.first.inner_text() and "[" in rows.first.inner_text()
    assert not page.locator(f"#{DID}-content").is_visible()  # no second pair: two runs alone


@pytest.fixture(scope="module")
def recession_pair(run_store) -> dict[str, str]:
    """The store's baseline and tighter-limits run again in a severe recession (same seed and
    book): with the first two, the four runs of a difference in differences (A1, B1, A2, B2)."""
    import sim
    from sim.config import deep_merge

    recession = {"macro": {"scenario": "severe_recession"}}
    a2 = sim.run(small_config({"name": "baseline-recession", **recession}), paths=PATHS,
                 seed=1, out=run_store)
    b2 = sim.run(small_config(deep_merge(POLICY_B, {"name": "tighter-limits-recession",
                                                    **recession})),
                 paths=PATHS, seed=1, out=run_store)
    return {"a2": a2.run_id, "b2": b2.run_id}


def test_compare_page_shows_the_difference_in_differences_of_a_second_pair(
        server, page, run_store, recession_pair):
    """The link ``/compare?a=A1&b=B1&a2=A2&b2=B2`` opens on the second pair's difference in
    differences (its table and chart) above the two-run comparison. The run id of
    tighter-limits-recession is 43 characters long, and reaches its picker whole."""
    ids = _ids(run_store)
    a2, b2 = recession_pair["a2"], recession_pair["b2"]
    _open(page, f"{server}/compare?a={ids['baseline']}&b={ids['tighter-limits']}&a2={a2}"
                f"&b2={b2}", [*COMPARE, f"{DID}-chart"], shot="compare")
    assert page.locator(f"#{DID}-content").is_visible()
    rows = page.locator(f"#{DID}-table tbody tr")
    assert rows.count() >= 6
    assert "pp" in rows.first.inner_text() and "[" in rows.first.inner_text()
    assert "macro.scenario" in page.inner_text(f"#{DID}-changes")
    names = page.evaluate("id => document.querySelector('#' + id + ' .js-plotly-plot')"
                          ".data.map(t => t.name)", f"{DID}-chart")
    assert {"B1 - A1 (scenario 1)", "B2 - A2 (scenario 2)"} <= set(names)
    sub_bottom, panel_title_top = page.evaluate(  # the subtitle clears the panels' titles
        "id => { const root = document.getElementById(id);"
        " return [root.querySelector('.gtitle-subtitle').getBoundingClientRect().bottom,"
        " Math.min(...[...root.querySelectorAll('.annotation')]"
        ".map(a => a.getBoundingClientRect().top))]; }", f"{DID}-chart")
    assert sub_bottom <= panel_title_top, (sub_bottom, panel_title_top)


HEADER_MAX_PX = 110
"""Tallest the sticky header may be at 1,400 x 900: the brand and pages on one row, the run
pickers on the same or the next one (about 80 pixels); taller, the pickers have stacked."""


def test_the_compare_header_stays_compact_with_every_run_picked(server, page, run_store,
                                                                 recession_pair):
    """With Run and Compare with picked, the sticky header of a 1,400-pixel window keeps the
    two pickers on one row (their long labels once stacked them, a header of about 195 px of
    a 900-pixel window), and the A2 and B2 pickers share a row too; a picked run still shows
    its name, and its full label is in the picker's tooltip."""
    ids = _ids(run_store)
    a2, b2 = recession_pair["a2"], recession_pair["b2"]
    _open(page, f"{server}/compare?a={ids['baseline']}&b={ids['tighter-limits']}&a2={a2}"
                f"&b2={b2}", COMPARE)
    height = page.evaluate("() => document.querySelector('header.header')"
                           ".getBoundingClientRect().height")
    assert height <= HEADER_MAX_PX, height
    picked = page.locator("#run-b .dash-dropdown-value .run-label")
    assert picked.locator(".run-headline").inner_text() == "tighter-limits"
    assert " · deal none · " in picked.get_attribute("title")
    tops = page.evaluate("() => [...document.querySelectorAll('.pickers .picker')]"
                         ".map(p => Math.round(p.getBoundingClientRect().top))")
    assert len(tops) == 4 and tops[0] == tops[1] and tops[2] == tops[3], tops


def test_borrower_story_page(server, page, run_store):
    _open(page, f"{server}/story?a={_ids(run_store)['baseline']}", ["story-timeline"])
    page.fill("#story-path", "2")
    page.fill("#story-borrower", "100")  # falls behind, is chased, and is charged off
    page.click("#story-button")
    page.wait_for_function("() => document.querySelector('#story-timeline .gtitle')"
                           " && document.querySelector('#story-timeline .gtitle')"
                           ".textContent.includes('Borrower 100 on path 2')")
    events = page.inner_text("#story-events").lower()
    assert "job loss" in events and "collection contacts" in events and "charge-off" in events
    _assert_clean(page)
    _screenshot(page, "story")


def test_a_story_link_opens_on_its_borrower_and_examples_link_to_theirs(server, page,
                                                                        run_store):
    """A teacher hands out ``/story?a=RUN&path=2&borrower=100``: the page opens on that
    story, told without a click; "Find borrowers to follow" lists ids that open theirs."""
    run = _ids(run_store)["baseline"]
    _open(page, f"{server}/story?a={run}&path=2&borrower=100", ["story-timeline"])
    title = ("() => document.querySelector('#story-timeline .gtitle')"
             " && document.querySelector('#story-timeline .gtitle')"
             ".textContent.includes('Borrower {who} on path 2')")
    page.wait_for_function(title.format(who=100))
    assert page.input_value("#story-borrower") == "100"
    page.click("#story-examples-button")
    link = page.locator("#story-examples a.story-example").first
    link.wait_for()
    who = link.inner_text()
    assert link.get_attribute("href") == f"/story?a={run}&path=2&borrower={who}"
    link.click()
    page.wait_for_function(title.format(who=who))
    assert page.input_value("#story-borrower") == who
    _assert_clean(page)


def test_story_page_refuses_bad_ids(server, page, run_store):
    _open(page, f"{server}/story?a={_ids(run_store)['baseline']}", ["story-timeline"])
    page.fill("#story-borrower", "99999999")
    page.click("#story-button")
    page.wait_for_selector("#story-note:has-text('is not in this book')")
    _assert_clean(page)


def test_launcher_runs_a_small_run_that_appears_in_the_picker(server, page, run_store):
    before = _all_ids(run_store)
    _open(page, server + "/launch", [])
    page.wait_for_selector("#launch-size:has-text('borrower-months')")
    if SCREENSHOTS:
        _open(page, server + "/launch", [], shot="launch")
    page.click("#launch-button")
    page.wait_for_selector("#launch-message:has-text('finished')", timeout=120_000)
    new = _all_ids(run_store) - before
    assert len(new) == 1
    (run_id,) = new
    assert page.inner_text("#launch-progress-text").endswith("paths done")
    page.click("#run-a")
    page.wait_for_selector("text=tiny · 30 borrowers + 1/month · 12 months · deal none")
    _assert_clean(page)
    page.click(f"a[href='/portfolio?a={run_id}']")
    page.wait_for_function("() => { const el = document.querySelector("
                           "'#portfolio-receivables .js-plotly-plot'); "
                           "return el && el.data && el.data.length > 0; }")
    _assert_clean(page)


def test_launcher_refuses_bad_parameters_with_a_message(server, page, run_store):
    before = _all_ids(run_store)
    _open(page, server + "/launch", [])
    page.wait_for_selector("#launch-size:has-text('borrower-months')")
    page.fill("#launch-paths", "500")  # was moved to 200 by the browser, and the run started
    page.click("#launch-button")
    page.wait_for_selector("#launch-message:has-text(\"Monte Carlo paths = '500': give a whole "
                           "number from 1 to 200\")", timeout=60_000)
    page.fill("#launch-paths", "2")
    page.fill("#launch-horizon", "500")
    page.click("#launch-button")
    page.wait_for_selector("#launch-message:has-text('Months to simulate, 1 to 240')",
                           timeout=60_000)
    assert "Traceback" not in page.inner_text("#page")
    _assert_clean(page)
    assert _all_ids(run_store) == before


def test_launcher_takes_overrides_and_refuses_a_bad_key_as_the_command_line(server, page,
                                                                            run_store):
    import json

    from dashboard.data import scan_store

    before = set(scan_store(run_store))  # run ids (two launched runs have the same name)
    _open(page, server + "/launch", [])
    page.wait_for_selector("#launch-size:has-text('borrower-months')")
    page.fill("#launch-settings", "collections.collectors.cuont=3")
    page.click("#launch-button")
    page.wait_for_selector("#launch-message:has-text(\"--set 'collections.collectors.cuont=3': "
                           "collections.collectors has no key 'cuont'; did you mean count?\")")
    assert set(scan_store(run_store)) == before
    page.fill("#launch-settings", "collections.collectors.count=3\ndescription=$(reboot)")
    page.click("#launch-button")
    page.wait_for_selector("#launch-message:has-text('finished')", timeout=120_000)
    (run_id,) = set(scan_store(run_store)) - before
    manifest = json.loads((run_store / run_id / "manifest.json").read_text())
    assert manifest["overrides"]["collections.collectors.count"] == 3
    assert manifest["config"]["description"] == "$(reboot)"
    _assert_clean(page)
