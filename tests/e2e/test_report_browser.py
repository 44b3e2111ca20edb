"""The report in a real browser: headless Chromium (Debian's `chromium`) opens the file offline and
draws every chart, at a phone's width and a desktop's, with no console error and no request but the
file itself; every table downloads as CSV under the page's Content-Security-Policy, and a name in
a chart leads to its row of the sender table. Screenshots go to test-artifacts/.

Chromium is driven through the DevTools protocol by playwright's Python package, pointed at the
system's browser: nothing is downloaded at run time. Without Chromium the test is skipped (CI
installs it in .ci/run).
"""

import base64
import shutil
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from helpers import PARITY_ZONE, ROOT
from tgpipe.query import output
from tgpipe.query.local import run_sql
from tgpipe.query.named import named_query
from tgpipe.query.scope import Scope
from tgpipe.report import document

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


#: The report's two weeks: the sample's last, so the two before it are there to compare with.
SCOPE = Scope(date(2025, 11, 7), date(2025, 11, 20))
CHARTS = [
    "chart-messages-per-day",
    "chart-compared",
    "chart-activity-heatmap",
    "chart-message-types",
    "chart-senders",
    "chart-top-users-by-length",
    "chart-new-and-returning",
    "chart-first-and-last-seen",
    "chart-replies",
    "chart-forum-topics",
    "chart-edits",
    "chart-reactions",
    "chart-members",
    "chart-service-events",
    "chart-media-share",
    "chart-media-volume",
    "chart-hashtags",
    "chart-links",
    "chart-topics-terms",
    "chart-topics-rising",
    "chart-topics-phrases",
    "chart-topics-languages",
    "chart-topics-emoji",
    # Conversations and the bot's traffic (tgpipe.report.talk)
    "chart-response-times",
    "chart-reply-delays",
    "chart-conversations",
    "chart-conversation-starters",
    "chart-talk-pairs",
    "chart-bot-usage",
    "chart-bot-hours",
    "chart-bot-users",
    "chart-bot-sessions",
    "chart-retention-people",
    "chart-retention-bot-users",
]
#: Charts that draw few marks by nature (five reactions, three links, two weeks of columns).
FEW_MARKS = {
    "chart-response-times": 2,  # two groups with replies
    "chart-bot-users": 4,
    "chart-retention-people": 3,
    "chart-retention-bot-users": 4,  # a few cohorts over three weeks
    "chart-reactions": 5,
    "chart-links": 3,
    "chart-members": 3,
    "chart-new-and-returning": 4,
    "chart-forum-topics": 3,
    "chart-service-events": 2,
}


@pytest.fixture(scope="module")
def built(sample_enriched):
    return document.build_report(
        sample_enriched, SCOPE, datetime(2025, 11, 22, 12, 0, tzinfo=UTC), ZoneInfo(PARITY_ZONE)
    )


@pytest.fixture(scope="module")
def report_file(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "page.html"
    out.write_text(document.render_html(built), encoding="utf-8")
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

    assert [c["id"] for c in drawn] == CHARTS
    for chart in drawn:
        assert chart["width"] > 250 and chart["height"] > 40, chart
        assert chart["marks"] >= FEW_MARKS.get(chart["id"], 7) and chart["painted"], chart
        assert chart["emptyTexts"] == 0, chart  # names in every script, emoji included, take up room
        assert chart["smallestText"] >= 10, chart  # readable at a phone's width too
    assert overflow <= width, "the page scrolls sideways"
    assert visible_rows == 14, "the table view did not open"  # a row per day of the two weeks
    assert problems == []
    assert requests == [report_file.as_uri()], "the page asked for something besides itself"


def test_every_table_downloads_as_csv_under_the_pages_policy(chromium, built, report_file, sample_enriched, tmp_path):
    """A `data:` link with `download` saves its file although the policy forbids loading anything.

    Each table is downloaded from its own visit of the page, as a reader would. Chromium (seen
    from 156.0.8078.129, a Debian security release) silently drops a download started when one
    page has already started ten within about a second: clicking the 18 links in a row lost the
    11th, however long the test waited for it.
    """
    context = chromium.new_context(accept_downloads=True)
    page = context.new_page()
    saved = {}
    try:
        page.goto(report_file.as_uri(), wait_until="load")
        links = page.locator("a[download]")
        assert links.count() == len(built.sections)
        for k in range(links.count()):
            page.goto(report_file.as_uri(), wait_until="load")
            # A bound, not a speed test: on a loaded CI machine Chromium once took over 10 s.
            with page.expect_download(timeout=60_000) as download:
                links.nth(k).click()
            target = tmp_path / download.value.suggested_filename
            download.value.save_as(target)
            assert download.value.failure() is None
            saved[download.value.suggested_filename] = target.read_text(encoding="utf-8")
    finally:
        context.close()
    assert set(saved) == {s.download.filename for s in built.sections}
    for s in built.sections:
        embedded = base64.b64decode(s.download.href.split(",", 1)[1]).decode("utf-8")
        assert saved[s.download.filename] == embedded
    # A query's file is what `tgpipe query NAME --from --to --format csv` prints.
    senders = run_sql(sample_enriched, named_query("senders").sql, SCOPE)
    assert saved["senders.csv"] == output.render(senders, "csv")
    assert saved["period_comparison.csv"].startswith("measure,before,this_period,change_percent\nMessages,")


def test_a_name_in_a_chart_leads_to_its_row(chromium, report_file):
    context = chromium.new_context(viewport={"width": 360, "height": 800})
    page = context.new_page()
    try:
        page.goto(report_file.as_uri(), wait_until="load")
        first = page.locator("#chart-senders a").first
        target = first.get_attribute("href")
        first.click()
        assert page.evaluate("location.hash") == target
        row = page.locator(f"tr{target}")
        assert row.is_visible() and row.evaluate("r => r.matches(':target')")
        assert row.locator("td").nth(4).inner_text() == first.text_content()  # sender_name
    finally:
        context.close()


#: Every chart's texts as drawn: for each, its box in the chart's own units (the viewBox).
MEASURE_TEXTS = """
() => [...document.querySelectorAll('svg.chart')].map(svg => ({
  id: svg.id,
  width: svg.viewBox.baseVal.width,
  texts: [...svg.querySelectorAll('text')].map(t => {
    const b = t.getBBox();
    return {text: t.textContent, cls: t.getAttribute('class'), x: b.x, y: b.y, width: b.width, height: b.height};
  }),
}))
"""


#: How far two texts' boxes may overlap (SVG units): a box is the font's whole line height, so rows of
#: a heatmap's labels, a cell apart, share a unit of it with no glyph touching.
SLACK = 1.5


def overlapping(texts: list[dict]) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap (by more than SLACK)."""
    found = []
    for k, a in enumerate(texts):
        for b in texts[k + 1 :]:
            across = a["x"] + SLACK < b["x"] + b["width"] and b["x"] + SLACK < a["x"] + a["width"]
            down = a["y"] + SLACK < b["y"] + b["height"] and b["y"] + SLACK < a["y"] + a["height"]
            if across and down:
                found.append((a["text"], b["text"]))
    return found


@pytest.fixture(scope="module")
def long_report(tmp_path_factory):
    """A report over 20 months of imported history, which has no period before it."""
    import exportkit
    from tgpipe.config import Settings
    from tgpipe.history import importer
    from tgpipe.store.local import LocalStore

    root = tmp_path_factory.mktemp("long")
    path = root / "result.json"
    path.write_bytes(exportkit.dump(exportkit.history(first="2024-07-01", days=610, per_chat=400).export()))
    raw, enriched = LocalStore(root / "raw", private=True), LocalStore(root / "enriched")
    importer.import_export(path, raw, enriched, Settings())
    built = document.build_report(enriched, now=datetime(2026, 3, 5, tzinfo=UTC))
    out = root / "long.html"
    out.write_text(document.render_html(built), encoding="utf-8")
    return built, out


@pytest.mark.parametrize("width", [360, 1280])
def test_over_twenty_months_no_label_runs_into_another_or_off_its_chart(chromium, long_report, width):
    built, path = long_report
    assert (built.last_day - built.first_day).days > 580
    context = chromium.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    try:
        page.goto(path.as_uri(), wait_until="load")
        charts = page.evaluate(MEASURE_TEXTS)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"report-20-months-{width}px.png"), full_page=True)
    finally:
        context.close()
    assert len(charts) > 12
    for chart in charts:
        texts = [t for t in chart["texts"] if t["text"]]
        assert overlapping(texts) == [], chart["id"]
        outside = [t["text"] for t in texts if t["x"] < -0.5 or t["x"] + t["width"] > chart["width"] + 0.5]
        assert outside == [], chart["id"]
    ticks = [t for chart in charts for t in chart["texts"] if t["cls"] == "tick"]
    assert any("2025" in t["text"] for t in ticks)  # a long axis says its years


def test_a_period_with_nothing_before_it_says_so_instead_of_comparing_with_zeros(long_report):
    built, _ = long_report
    compared = next(s for s in built.sections if s.key == "compared")
    assert compared.drawing is None and compared.table.rows == []
    assert compared.summary.startswith("There are no messages in the 610 days before this period")
    assert compared.summary.endswith("so there is nothing to compare it with.")
