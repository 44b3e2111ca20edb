"""The report in a real browser: headless Chromium (Debian's `chromium`) opens the file offline and
draws every chart, at a phone's width and a desktop's, with no console error and no request but the
file itself. Screenshots go to test-artifacts/.

Chromium is driven through the DevTools protocol by playwright's Python package, pointed at the
system's browser: nothing is downloaded at run time. Without Chromium the test is skipped (CI
installs it in .ci/run).
"""

import shutil
from datetime import UTC, datetime

import pytest

from helpers import ROOT
from tgpipe import report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; CI installs it)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')")

ARTIFACTS = ROOT / "test-artifacts"
#: Headless, and quiet: without the background-networking flags Chromium tries to reach Google.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

#: For each chart: its size on screen, how many marks it drew, whether the first mark is what the
#: page shows at its centre (painted, not hidden), its text's widths and its smallest text in pixels.
MEASURE_CHARTS = """
() => [...document.querySelectorAll('svg.chart')].map(svg => {
  svg.scrollIntoView({block: 'center'});
  const box = svg.getBoundingClientRect();
  const marks = [...svg.querySelectorAll('rect, circle, path')].filter(m => {
    const b = m.getBBox();
    return b.width > 0 || b.height > 0;
  });
  const first = [...svg.querySelectorAll('rect, circle')].find(m => m.getBBox().width > 0 && m.getBBox().height > 0);
  const r = first.getBoundingClientRect();
  const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
  const texts = [...svg.querySelectorAll('text')];
  const scale = svg.getScreenCTM().a;
  return {
    id: svg.id,
    width: box.width,
    height: box.height,
    marks: marks.length,
    painted: hit === first || first.contains(hit),
    emptyTexts: texts.filter(t => t.textContent && t.getComputedTextLength() <= 0).length,
    smallestText: Math.min(...texts.map(t => parseFloat(getComputedStyle(t).fontSize) * scale)),
  };
})
"""


@pytest.fixture(scope="module")
def report_file(sample_enriched, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    report.write_report(sample_enriched, out, now=datetime(2025, 11, 22, 12, 0, tzinfo=UTC))
    return out


@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield browser
        browser.close()


@pytest.mark.parametrize("width", [360, 1280])
def test_the_report_draws_every_chart_in_chromium(chromium, report_file, width):
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    problems, requests = [], []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type != "log" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(report_file.as_uri(), wait_until="load")
        drawn = page.evaluate(MEASURE_CHARTS)
        overflow = page.evaluate("document.documentElement.scrollWidth")
        page.click("#messages-per-day details summary")
        table_rows = page.locator("#messages-per-day table tbody tr")
        visible_rows = table_rows.count() if table_rows.first.is_visible() else 0
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-{width}px.png"), full_page=True)
    finally:
        context.close()

    assert [c["id"] for c in drawn] == [
        "chart-messages-per-day",
        "chart-activity-heatmap",
        "chart-top-users",
        "chart-top-users-by-length",
        "chart-message-types",
        "chart-media-share",
        "chart-hashtags",
    ]
    for chart in drawn:
        assert chart["width"] > 250 and chart["height"] > 100, chart
        assert chart["marks"] >= 7 and chart["painted"], chart
        assert chart["emptyTexts"] == 0, chart  # names in every script, emoji included, take up room
        assert chart["smallestText"] >= 10, chart  # readable at a phone's width too
    assert overflow <= width, "the page scrolls sideways"
    assert visible_rows > 20, "the table view did not open"
    assert problems == []
    assert requests == [report_file.as_uri()], "the page asked for something besides itself"
