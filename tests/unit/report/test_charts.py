import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest

from tgpipe.report import charts


def parse(drawing: charts.Drawing) -> ET.Element:
    return ET.fromstring(drawing.svg)


def tag(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def marks(svg: ET.Element, name: str) -> list[ET.Element]:
    return [e for e in svg.iter() if tag(e) == name]


def tip(element: ET.Element) -> str:
    """The tooltip of a mark: its <title> child."""
    return next(e.text for e in element if tag(e) == "title")


@pytest.mark.parametrize(
    ("top", "expected"),
    [
        (107, [0, 25, 50, 75, 100, 125]),
        (745, [0, 200, 400, 600, 800]),
        (7, [0, 2, 4, 6, 8]),
        (1, [0, 1]),
        (74.7, [0, 20, 40, 60, 80]),
        (0, [0, 1]),
    ],
)
def test_nice_ticks_are_round_and_reach_the_top(top, expected):
    assert charts.nice_ticks(top) == expected


def test_every_chart_is_an_image_with_alt_text():
    svg = parse(charts.bar_chart([("Ana", 3)], "c1", "Top senders", "Ana sent 3."))
    assert svg.get("role") == "img"
    assert svg.get("aria-labelledby") == "c1-title c1-desc"
    assert [(tag(e), e.get("id"), e.text) for e in svg[:2]] == [
        ("title", "c1-title", "Top senders"),
        ("desc", "c1-desc", "Ana sent 3."),
    ]


def test_bars_are_proportional_and_labelled_with_names_escaped():
    drawing = charts.bar_chart([("<b>&co</b>", 10), ("محمد", 5), ("Priya 🌸", 0)], "c", "t", "d")
    assert "<b>" not in drawing.svg
    svg = parse(drawing)
    bars = [r for r in marks(svg, "rect")]
    widths = [float(r.get("width")) for r in bars]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
    labels = [t.text for t in marks(svg, "text") if t.get("class") == "label"]
    assert labels == ["<b>&co</b>", "محمد", "Priya 🌸"]
    assert tip(bars[1]) == "\u2068محمد\u2069: 5"


def test_short_label_never_splits_an_emoji_sequence():
    family = "Família 👨\u200d👩\u200d👧\u200d👦 reunida"
    short = charts.short_label(family, 11)
    assert short == "Família 👨…"
    assert charts.short_label("Ana", 11) == "Ana"
    assert charts.short_label("Zoë" + "\u0301" * 3 + "abcdefgh", 5) == "Zoë…"


def test_line_chart_puts_each_day_at_its_place_and_survives_one_day():
    first = date(2025, 11, 1)
    points = [(first + timedelta(days=k), v) for k, v in enumerate([0, 10, 5])]
    svg = parse(charts.line_chart(points, "c", "t", "d", "messages"))
    dots = marks(svg, "circle")
    assert [tip(d) for d in dots] == [
        "2025-11-01: 0 messages",
        "2025-11-02: 10 messages",
        "2025-11-03: 5 messages",
    ]
    xs = [float(d.get("cx")) for d in dots]
    ys = [float(d.get("cy")) for d in dots]
    assert xs[1] - xs[0] == pytest.approx(xs[2] - xs[1], abs=0.02)
    assert ys[0] > ys[2] > ys[1]  # SVG's y grows downwards
    one = parse(charts.line_chart([(first, 4)], "c", "t", "d", "messages"))
    assert len(marks(one, "circle")) == 1


def test_heatmap_shades_by_amount_and_its_legend_covers_every_amount():
    grid = [[0, 1, 7], [3, 12, 0]]
    drawing = charts.heatmap(grid, ["Mon", "Tue"], ["0", "1", "2"], "c", "t", "d", lambda r, c, v: f"{r},{c}={v}")
    cells = marks(parse(drawing), "rect")
    assert [tip(c) for c in cells] == ["0,0=0", "0,1=1", "0,2=7", "1,0=3", "1,1=12", "1,2=0"]
    assert cells[0].get("fill") == charts.EMPTY
    assert cells[4].get("fill") == charts.SEQUENTIAL[-1]
    assert cells[1].get("fill") == charts.SEQUENTIAL[0]
    for most in (1, 5, 6, 12, 1000):
        covered = {0}
        for item in charts.heatmap_legend(most)[1:]:
            low, _, high = item.label.replace(",", "").partition("–")
            covered |= set(range(int(low), int(high or low) + 1))
        assert covered == set(range(most + 1)), most
        for value in range(most + 1):
            colour = charts.shade(value, most)
            assert any(i.colour == colour and _in(value, i.label) for i in charts.heatmap_legend(most)), (most, value)


def _in(value: int, label: str) -> bool:
    low, _, high = label.replace(",", "").partition("–")
    return int(low) <= value <= int(high or low)


def test_stacked_columns_stack_to_the_day_total_with_a_grey_remainder():
    days = [date(2025, 11, 1), date(2025, 11, 3)]
    series = [("text", [4, 2]), ("photo", [1, 0]), (charts.OTHER_KINDS, [1, 2])]
    drawing = charts.stacked_columns(days, series, "c", "t", "d")
    assert [(i.label, i.colour) for i in drawing.legend] == [
        ("text", charts.PALETTE[0]),
        ("photo", charts.PALETTE[1]),
        ("other kinds", charts.REMAINDER),
    ]
    segments = [r for r in marks(parse(drawing), "rect") if r.get("class") == "seg"]
    assert len(segments) == 5  # a zero draws nothing
    first_day = [s for s in segments if tip(s).startswith("2025-11-01")]
    heights = [float(s.get("height")) for s in first_day]
    assert heights[0] == pytest.approx(4 * heights[1], abs=0.05)
    assert heights[2] == pytest.approx(heights[1], abs=0.01)
    # Stacked: each segment starts where the one below ends.
    for below, above in zip(first_day, first_day[1:], strict=False):
        assert float(above.get("y")) + float(above.get("height")) == pytest.approx(float(below.get("y")), abs=0.02)


def test_a_line_chart_draws_its_average_dashed_with_a_legend():
    first = date(2025, 11, 1)
    points = [(first + timedelta(days=k), v) for k, v in enumerate([7, 0, 7, 0, 7, 0, 7, 14])]
    average = [(points[k][0], v) for k, v in ((6, 4.0), (7, 5.0))]
    drawing = charts.line_chart(points, "c", "t", "d", "messages", average, "7-day average")
    paths = marks(parse(drawing), "path")
    assert [p.get("stroke-dasharray") for p in paths] == [None, "6 3"]  # dashed, not only another colour
    assert [(i.label, i.colour) for i in drawing.legend] == [
        ("messages", charts.BAR),
        ("7-day average (dashed)", charts.SECOND),
    ]
    assert charts.line_chart(points, "c", "t", "d", "messages").legend == ()


def test_bar_labels_can_lead_to_a_place_in_the_page():
    svg = parse(charts.bar_chart([("Ana", 3), ("Bot", 1)], "c", "t", "d", links=["#sender-u1", None]))
    anchors = marks(svg, "a")
    assert [(a.get("href"), [t.text for t in a]) for a in anchors] == [("#sender-u1", ["Ana"])]


def test_change_bars_go_right_for_a_rise_left_for_a_fall_and_name_what_is_new():
    drawing = charts.change_bars([("Messages", 50.0), ("People", -25.0), ("Edits", None)], "c", "t", "d")
    svg = parse(drawing)
    rects = marks(svg, "rect")
    (zero,) = [float(line.get("x1")) for line in marks(svg, "line")]
    assert float(rects[0].get("x")) == pytest.approx(zero)
    assert float(rects[1].get("x")) + float(rects[1].get("width")) == pytest.approx(zero)
    assert float(rects[0].get("width")) == pytest.approx(2 * float(rects[1].get("width")))
    assert [r.get("fill") for r in rects] == [charts.BAR, charts.SECOND]
    values = [t.text for t in marks(svg, "text") if t.get("class") == "value"]
    assert values == ["+50%", "−25%", "new (none before)"]
    assert charts.percent_change(0.4) == "0%" and charts.percent_change(-1234.5) == "−1,234%"


@pytest.mark.parametrize("stacked", [True, False])
def test_columns_stack_or_stand_side_by_side(stacked):
    series = [("joined", [2, 0]), ("left", [1, 3])]
    drawing = charts.columns(["Nov 3", "Nov 10"], series, "c", "t", "d", "members", stacked=stacked)
    rects = [r for r in marks(parse(drawing), "rect") if r.get("class") == "seg"]
    assert [tip(r) for r in rects] == [
        "Nov 3 · \u2068joined\u2069: 2 members",
        "Nov 3 · \u2068left\u2069: 1 members",
        "Nov 10 · \u2068joined\u2069: 0 members",
        "Nov 10 · \u2068left\u2069: 3 members",
    ]
    first_week = rects[:2]
    heights = [float(r.get("height")) for r in first_week]
    assert heights[0] == pytest.approx(2 * heights[1], abs=0.02)
    xs = [float(r.get("x")) for r in first_week]
    assert (xs[0] == xs[1]) is stacked
    assert [i.colour for i in drawing.legend] == [charts.BAR, charts.SECOND]


def test_spans_run_from_the_first_day_to_the_end_of_the_last():
    rows = [
        ("Ana", date(2025, 11, 1), date(2025, 11, 10), "Ana: 10 days"),
        ("Kai", date(2025, 11, 6), date(2025, 11, 6), "Kai: 1 day"),
    ]
    svg = parse(charts.spans(rows, "c", "t", "d", ["#sender-u1", "#sender-u2"]))
    bars = marks(svg, "rect")
    widths = [float(b.get("width")) for b in bars]
    assert widths[0] == pytest.approx(10 * widths[1], abs=0.05)
    assert float(bars[1].get("x")) - float(bars[0].get("x")) == pytest.approx(5 * widths[1], abs=0.05)
    assert [tip(b) for b in bars] == ["Ana: 10 days", "Kai: 1 day"]
    assert [a.get("href") for a in marks(svg, "a")] == ["#sender-u1", "#sender-u2"]


def test_a_forged_name_is_cut_in_tooltips():
    svg = parse(charts.bar_chart([("x" * 10_000, 1)], "c", "t", "d"))
    assert len(tip(marks(svg, "rect")[0])) < charts.TIP_CHARS + 10


def test_long_labels_get_the_chart_s_width_above_their_bars():
    """A link keeps what tells it apart (not cut to a dozen characters), within the chart's width."""
    url = "docs.google.com/spreadsheets/d/1_eqZK-RTJE3IaL_siMUXyFU8hiAtBg-7CNdkOhxcTl8"
    svg = parse(charts.bar_chart([(url, 3), ("duckdb.org", 1)], "c", "t", "d", label_chars=44, labels_above=True))
    labels = [e.text for e in svg.iter() if e.get("class") == "label"]
    assert labels[1] == "duckdb.org"
    assert labels[0].startswith("docs.google.com/spreadsheets/d/") and labels[0].endswith("…")
    assert charts.text_width(labels[0], charts.LABEL_SIZE) <= charts.WIDTH - 8


@pytest.mark.parametrize(
    ("first", "last", "labels"),
    [
        (date(2025, 11, 7), date(2025, 11, 20), ["Nov 7", "Nov 10", "Nov 13", "Nov 16", "Nov 19"]),
        (date(2024, 9, 21), date(2026, 3, 29), ["Jan 2025", "Jul 2025", "Jan 2026"]),
        (date(2013, 1, 1), date(2026, 1, 1), ["2014", "2016", "2018", "2020", "2022", "2024", "2026"]),
    ],
)
def test_a_time_axis_ticks_days_months_or_years_that_fit(first, last, labels):
    ticks = charts.date_ticks(first, last, 304)
    assert [label for _, label in ticks] == labels
    gaps = [(b - a).days * 304 / (last - first).days for (a, _), (b, _) in zip(ticks, ticks[1:], strict=False)]
    assert min(gaps) >= max(charts.text_width(label) for label in labels) + charts.TICK_GAP


def test_labels_that_would_touch_are_left_out():
    kept = charts.placed([(40, "Nov 3 2025", 1), (60, "Nov 4 2025", 2), (200, "Nov 9", 3), (358, "Nov 30", 4)], 36)
    assert [(key, anchor) for key, _, anchor in kept] == [(1, "start"), (3, "middle"), (4, "end")]
