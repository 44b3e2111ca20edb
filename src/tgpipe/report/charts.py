"""Accessible SVG charts drawn in Python, so a report needs no script, library or network to show them.

Each chart is an inline `<svg role="img">` whose `<title>` and `<desc>` are its alt text. Its size is
set by the viewBox, so it scales to the width of the page, from a phone to a desktop. Each mark has
a `<title>` that shows as a tooltip. Series colours come from the Okabe-Ito palette, and amounts in
the heatmap from ColorBrewer's YlGnBu ramp. Both stay distinguishable with the common colour-vision
deficiencies. The browser draws the text, so the reader's fonts shape right-to-left names and emoji.
ElementTree builds the markup, which escapes every name and label.
"""

from __future__ import annotations

import math
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

#: Okabe & Ito (2008), "Color Universal Design", less black. They are in the order series take them.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
#: The colour of a remainder ("other kinds") and of single-series bars.
REMAINDER = "#8C8C8C"
BAR = PALETTE[0]
#: A second series (an average, the period before, members who left): Okabe-Ito's vermillion.
SECOND = PALETTE[3]
#: Colours of the series of `columns`: blue and vermillion first, the pair most readers tell apart.
SERIES = (BAR, SECOND, PALETTE[1], PALETTE[2], PALETTE[4], PALETTE[5])
#: ColorBrewer YlGnBu, 6 classes: light is few, dark is many.
SEQUENTIAL = ("#ffffcc", "#c7e9b4", "#7fcdbb", "#41b6c4", "#2c7fb8", "#253494")
EMPTY = "#f0f0f0"

#: Width of every chart in SVG units. Charts are designed for a phone (about 310 px of chart), so the
#: text stays readable there; on a desktop the page caps their width (see the template's CSS).
WIDTH = 360
LABEL_CHARS = 14
#: Longest name in a tooltip: the whole of an ordinary name, never all of a forged one.
TIP_CHARS = 80
_AXIS, _GRID, _INK = "#595959", "#e3e3e3", "#1a1a1a"


@dataclass(frozen=True)
class LegendItem:
    label: str
    colour: str


@dataclass(frozen=True)
class Drawing:
    """A chart: its SVG markup and the legend to show beside it (as HTML, so it wraps on a phone)."""

    svg: str
    legend: tuple[LegendItem, ...] = field(default=())


def _svg(chart_id: str, title: str, desc: str, height: float) -> ET.Element:
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {_n(height)}",
            "role": "img",
            "aria-labelledby": f"{chart_id}-title {chart_id}-desc",
            "class": "chart",
            "id": chart_id,
        },
    )
    ET.SubElement(svg, "title", id=f"{chart_id}-title").text = title
    ET.SubElement(svg, "desc", id=f"{chart_id}-desc").text = desc
    return svg


def _n(value: float) -> str:
    """Format a coordinate with at most two decimals (smaller files, same picture)."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _text(parent: ET.Element, x: float, y: float, text: str, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, "text", {"x": _n(x), "y": _n(y), **attrs})
    element.text = text
    return element


def _rect(parent: ET.Element, x: float, y: float, w: float, h: float, fill: str, tip: str, **attrs: str) -> None:
    rect = ET.SubElement(
        parent, "rect", x=_n(x), y=_n(y), width=_n(max(w, 0)), height=_n(max(h, 0)), fill=fill, **attrs
    )
    ET.SubElement(rect, "title").text = tip


def _markup(svg: ET.Element) -> str:
    return ET.tostring(svg, encoding="unicode", short_empty_elements=True)


def nice_ticks(top: float, count: int = 5) -> list[int]:
    """Return round whole-number ticks from 0 to at least `top` (0, 25, 50, ... or 0, 200, 400, ...)."""
    if top <= 0:
        return [0, 1]
    raw = top / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = max(1, math.ceil(next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)))
    ticks = [0]
    while ticks[-1] < top:
        ticks.append(ticks[-1] + step)
    return ticks


def isolate(text: str) -> str:
    """Wrap `text` in Unicode first-strong isolates, so a right-to-left name keeps its place in a sentence."""
    return f"\u2068{text}\u2069"


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """Shorten `text` to about `limit` characters with an ellipsis, never splitting an emoji sequence."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    while cut and (cut[-1] in "\u200d\ufe0f\ufe0e" or unicodedata.combining(cut[-1])):
        cut = cut[:-1]
    return cut.rstrip() + "…"


def amount(value: float) -> str:
    """Format an amount for people: 1,234 or 12.5."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


#: Tick labels' font size in SVG units (the page's CSS: `.chart .tick`), and the least room between two.
TICK_SIZE = 12.5
TICK_GAP = 8


_NARROW, _WIDE = frozenset("iljtfrI.,:;|!'()[] "), frozenset("mwMW@%")


def text_width(text: str, size: float = TICK_SIZE) -> float:
    """About how wide `text` is drawn at `size` (SVG units), erring wide: in the widest of the
    sans-serif fonts the page may get (DejaVu Sans), letters and digits are under 0.65 em, capitals
    under 0.8, a few wider (m, w: 1 em) and some narrower (i, l, t); wide characters (CJK, emoji) 1 em."""
    em = 0.0
    for char in text:
        if char in _NARROW:
            em += 0.38
        elif char in _WIDE:
            em += 1.0
        elif char.isupper():
            em += 0.8
        elif ord(char) > 0x2E80:
            em += 1.0
        else:
            em += 0.65
    return em * size


#: Labels' font size in SVG units (the page's CSS: `.chart text`).
LABEL_SIZE = 14


def fit(text: str, width: float, size: float = LABEL_SIZE) -> str:
    """`text` shortened (`short_label`) until it is drawn within `width` SVG units at `size`."""
    if text_width(text, size) <= width:
        return text
    limit = len(text)
    while limit > 2 and text_width(short_label(text, limit), size) > width:
        limit -= 1
    return short_label(text, limit)


def _months_after(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def date_ticks(first: date, last: date, width: float) -> list[tuple[date, str]]:
    """Ticks for a time axis of `width` SVG units from `first` to `last`, and their labels: days
    (`Nov 3`), months (`Nov 2025`) or years (`2025`), as many as fit with room between them.

    The step is the smallest of 1, 2, 3, 7 or 14 days, 1, 2, 3 or 6 months, or 1, 2, 5 or 10 years
    whose labels fit; month and year ticks are on the first of the month. A day's label carries
    its year where the year changes (and on the first tick when the axis spans two years).
    """
    span = (last - first).days
    if span == 0:
        return [(first, _day_label(first, False))]
    per_day = width / span
    two_years = first.year != last.year
    for step in (1, 2, 3, 7, 14):
        ticks = [date.fromordinal(first.toordinal() + k) for k in range(0, span + 1, step)]
        labels = _day_labels(ticks, two_years)
        if max(map(text_width, labels)) + TICK_GAP <= step * per_day:
            return list(zip(ticks, labels, strict=True))
    for months in (1, 2, 3, 6, 12, 24, 60, 120):
        if months < 12:  # the first of a month, at a multiple of the step (January, April, ... for 3)
            day = first if first.day == 1 else _months_after(first, 1)
            while (day.month - 1) % months:
                day = _months_after(day, 1)
        else:  # the first of January of a year that is a multiple of the step
            years = months // 12
            year = first.year + (first != date(first.year, 1, 1))
            day = date(year + -year % years, 1, 1)
        ticks = []
        while day <= last:
            ticks.append(day)
            day = _months_after(day, months)
        labels = [f"{d.year}" if months >= 12 else f"{d:%b} {d.year}" for d in ticks]
        room = months * 28 * per_day
        if len(ticks) > 1 and max(map(text_width, labels)) + TICK_GAP <= room:
            return list(zip(ticks, labels, strict=True))
    return [(first, f"{first.year}"), (last, f"{last.year}")]


def day_labels(days: Sequence[date]) -> list[str]:
    """Labels of days in order (`Nov 3`), each with its year when they span two years (a chart shows
    only some of them, so each must say it)."""
    two_years = bool(days) and days[0].year != days[-1].year
    return [_day_label(day, two_years) for day in days]


def _day_labels(days: list[date], two_years: bool) -> list[str]:
    labels, year = [], None
    for k, day in enumerate(days):
        labels.append(_day_label(day, (two_years and k == 0) or (year is not None and day.year != year)))
        year = day.year
    return labels


def _day_label(day: date, with_year: bool) -> str:
    return f"{day:%b} {day.day}" + (f" {day.year}" if with_year else "")


def _y_axis(svg: ET.Element, ticks: list[float], left: float, right: float, y: Callable[[float], float]) -> None:
    for tick in ticks:
        ET.SubElement(svg, "line", x1=_n(left), x2=_n(right), y1=_n(y(tick)), y2=_n(y(tick)), stroke=_GRID)
        _text(svg, left - 4, y(tick) + 4, amount(tick), **{"text-anchor": "end", "class": "tick"})


def _x_day_axis(
    svg: ET.Element, first: date, last: date, x: Callable[[date], float], baseline: float, width: float
) -> None:
    """Ticks and labels of a time axis `width` units long under `baseline`, which starts at x(first)
    (where the y axis's labels end); a label that would run into another, or off the chart, is
    left out (see `placed`)."""
    ticks = date_ticks(first, last, width)
    for day, label, anchor in placed([(x(day), label, day) for day, label in ticks], x(first) - 4):
        ET.SubElement(svg, "line", x1=_n(x(day)), x2=_n(x(day)), y1=_n(baseline), y2=_n(baseline + 4), stroke=_AXIS)
        _text(svg, x(day), baseline + 19, label, **{"text-anchor": anchor, "class": "tick"})


def placed(labels: Sequence[tuple[float, str, object]], minimum: float = 0.0) -> list[tuple[object, str, str]]:
    """The labels (centre x, text, key) that can be drawn without touching each other or leaving the
    chart between `minimum` and its right edge: centred, started at x where a centred one would
    begin before `minimum`, ended at x where it would run off the right edge; a label that would
    still overlap the one before it is left out. Returns (key, text, text-anchor) of those kept."""
    kept, end = [], float("-inf")
    for x, text, key in labels:
        width = text_width(text)
        anchor, start = "middle", x - width / 2
        if start < minimum:
            anchor, start = "start", x
        if start + width > WIDTH - 2:
            anchor, start = "end", x - width
        if start < minimum or start < end + TICK_GAP:
            continue
        kept.append((key, text, anchor))
        end = start + width
    return kept


def line_chart(
    points: Sequence[tuple[date, float]],
    chart_id: str,
    title: str,
    desc: str,
    unit: str,
    average: Sequence[tuple[date, float]] | None = None,
    average_label: str = "",
) -> Drawing:
    """Draw `points` (one per day, in day order) as a line over a time axis, and `average` (a
    smoothed series over the same days), if given, as a dashed line of another colour."""
    height, left, right, top, bottom = 220, 40, WIDTH - 16, 10, 188
    ticks = nice_ticks(max(v for _, v in points))
    first, last = points[0][0], points[-1][0]
    span = max(1, (last - first).days)

    def x(day: date) -> float:
        return left + (right - left) * ((day - first).days / span if last != first else 0.5)

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    svg = _svg(chart_id, title, desc, height)
    _y_axis(svg, ticks, left, right, y)
    _x_day_axis(svg, first, last, x, bottom, right - left)
    path = " ".join(f"{'M' if k == 0 else 'L'}{_n(x(d))},{_n(y(v))}" for k, (d, v) in enumerate(points))
    ET.SubElement(svg, "path", d=path, fill="none", stroke=BAR, **{"stroke-width": "2", "stroke-linejoin": "round"})
    radius = "2.5" if len(points) <= 120 else "1.2"
    for day, value in points:
        dot = ET.SubElement(svg, "circle", cx=_n(x(day)), cy=_n(y(value)), r=radius, fill=BAR)
        ET.SubElement(dot, "title").text = f"{day.isoformat()}: {amount(value)} {unit}"
    if not average:
        return Drawing(_markup(svg))
    smooth = " ".join(f"{'M' if k == 0 else 'L'}{_n(x(d))},{_n(y(v))}" for k, (d, v) in enumerate(average))
    line = ET.SubElement(
        svg,
        "path",
        d=smooth,
        fill="none",
        stroke=SECOND,
        **{"stroke-width": "2.5", "stroke-dasharray": "6 3", "stroke-linejoin": "round", "class": "average"},
    )
    ET.SubElement(line, "title").text = average_label
    return Drawing(_markup(svg), (LegendItem(unit, BAR), LegendItem(f"{average_label} (dashed)", SECOND)))


def bar_chart(
    bars: Sequence[tuple[str, float]],
    chart_id: str,
    title: str,
    desc: str,
    value_label: Callable[[float], str] = amount,
    links: Sequence[str | None] | None = None,
    label_chars: int = LABEL_CHARS,
    labels_above: bool = False,
) -> Drawing:
    """Draw `bars` (label, value), in the given order, as horizontal bars with their values.

    `links` gives each bar's label a link (a `#fragment` of the page), or None for no link;
    labels are cut to about `label_chars` characters. With `labels_above`, each label has the
    chart's whole width on a line of its own above its bar (for long ones, such as URLs).
    """
    row, label_width, value_width = (38, 4, 58) if labels_above else (24, 118, 58)
    height = row * len(bars) + 6
    left, right = label_width, WIDTH - value_width
    top = max((v for _, v in bars), default=0) or 1
    svg = _svg(chart_id, title, desc, height)
    for k, (label, value) in enumerate(bars):
        y = 3 + k * row
        bar_y, bar_height = (y + 19, row - 23) if labels_above else (y + 3, row - 6)
        length = (right - left) * value / top
        tip = f"{isolate(short_label(label, TIP_CHARS))}: {value_label(value)}"
        _rect(svg, left, bar_y, length, bar_height, BAR, tip)
        href = links[k] if links else None
        parent = ET.SubElement(svg, "a", href=href) if href else svg
        text = fit(short_label(label, label_chars), WIDTH - 8 if labels_above else label_width - 8)
        if labels_above:
            _text(parent, left, y + 13, text, **{"class": "label"})
        else:
            _text(parent, left - 6, y + row / 2 + 5, text, **{"text-anchor": "end", "class": "label"})
        _text(svg, left + length + 4, bar_y + bar_height / 2 + 4.5, value_label(value), **{"class": "value"})
    ET.SubElement(svg, "line", x1=_n(left), x2=_n(left), y1="0", y2=_n(height), stroke=_AXIS)
    return Drawing(_markup(svg))


def change_bars(items: Sequence[tuple[str, float | None]], chart_id: str, title: str, desc: str) -> Drawing:
    """Draw changes in percent (label, change) as bars left (down) or right (up) of a zero line.

    A None change (nothing before) is written, not drawn. Rises and falls differ in colour, side
    and sign, so no reader needs the colour to tell them apart.
    """
    row, label_width, value_width = 24, 112, 46
    height = row * len(items) + 6
    # Labels, then room for a fall's value, the bars either side of zero, and room for a rise's value.
    left, right = label_width + value_width, WIDTH - value_width
    middle = (left + right) / 2
    most = max((abs(v) for _, v in items if v is not None), default=0) or 1
    svg = _svg(chart_id, title, desc, height)
    for k, (label, change) in enumerate(items):
        y = 3 + k * row
        text = fit(short_label(label), label_width - 8)
        _text(svg, label_width - 6, y + row / 2 + 5, text, **{"text-anchor": "end", "class": "label"})
        if change is None:
            _text(svg, middle + 4, y + row / 2 + 4.5, "new (none before)", **{"class": "value"})
            continue
        length = (right - middle) * abs(change) / most
        start = middle if change >= 0 else middle - length
        colour = BAR if change >= 0 else SECOND
        _rect(svg, start, y + 3, length, row - 6, colour, f"{short_label(label, TIP_CHARS)}: {percent_change(change)}")
        end, anchor = (middle + length + 4, "start") if change >= 0 else (middle - length - 4, "end")
        _text(svg, end, y + row / 2 + 4.5, percent_change(change), **{"text-anchor": anchor, "class": "value"})
    ET.SubElement(svg, "line", x1=_n(middle), x2=_n(middle), y1="0", y2=_n(height), stroke=_AXIS)
    return Drawing(_markup(svg), (LegendItem("more than before", BAR), LegendItem("fewer than before", SECOND)))


def percent_change(change: float) -> str:
    """+12%, −8% (a true minus sign), 0%."""
    rounded = round(change)
    return f"+{rounded:,}%" if rounded > 0 else f"−{-rounded:,}%" if rounded < 0 else "0%"


def columns(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    chart_id: str,
    title: str,
    desc: str,
    unit: str,
    stacked: bool = True,
) -> Drawing:
    """Draw one group of columns per label (a week, say): `series` (name, one value per label)
    stacked from the bottom, or side by side when not `stacked`."""
    height, left, right, top, bottom = 220, 40, WIDTH - 16, 10, 188
    heights = [
        sum(values[k] for _, values in series) if stacked else max(values[k] for _, values in series)
        for k in range(len(labels))
    ]
    ticks = nice_ticks(max(heights, default=0))
    slot = (right - left) / max(1, len(labels))
    colours = [SERIES[k % len(SERIES)] for k in range(len(series))]

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    svg = _svg(chart_id, title, desc, height)
    _y_axis(svg, ticks, left, right, y)
    # Every `every`th label, so that the widest has room; `placed` drops one that still would not.
    every = max(1, math.ceil((max(map(text_width, labels), default=0) + TICK_GAP) / slot))
    shown = [(left + slot * k + slot / 2, label, k) for k, label in enumerate(labels) if k % every == 0]
    for k, label, anchor in placed(shown, left - 4):
        _text(svg, left + slot * k + slot / 2, bottom + 19, label, **{"text-anchor": anchor, "class": "tick"})
    for k, label in enumerate(labels):
        x = left + slot * k
        base = 0.0
        width = slot * 0.8 / (1 if stacked else len(series))
        for n, ((name, values), colour) in enumerate(zip(series, colours, strict=True)):
            value = values[k]
            column_x = x + slot * 0.1 + (0 if stacked else n * width)
            top_y = y(base + value) if stacked else y(value)
            bottom_y = y(base) if stacked else y(0)
            tip = f"{label} · {isolate(short_label(name, TIP_CHARS))}: {amount(value)} {unit}"
            _rect(svg, column_x, top_y, width, bottom_y - top_y, colour, tip, **{"class": "seg"})
            if stacked:
                base += value
    legend = tuple(LegendItem(name, colour) for (name, _), colour in zip(series, colours, strict=True))
    return Drawing(_markup(svg), legend)


def spans(
    rows: Sequence[tuple[str, date, date, str]],
    chart_id: str,
    title: str,
    desc: str,
    links: Sequence[str | None] | None = None,
) -> Drawing:
    """Draw each row (label, first day, last day, tooltip) as a bar over a time axis, from the
    start of its first day to the end of its last."""
    row, label_width = 22, 110
    first, last = min(r[1] for r in rows), max(r[2] for r in rows)
    top, left, right = 4, label_width, WIDTH - 12
    bottom = top + row * len(rows)
    height = bottom + 26
    days = (last - first).days + 1

    def x(day: date) -> float:
        return left + (right - left) * (day - first).days / days

    svg = _svg(chart_id, title, desc, height)
    _x_day_axis(svg, first, last, lambda d: x(d) + (right - left) / days / 2, bottom, right - left)
    for k, (label, start, end, tip) in enumerate(rows):
        y = top + k * row
        _rect(svg, x(start), y + 4, x(end) - x(start) + (right - left) / days, row - 8, BAR, tip)
        href = links[k] if links else None
        parent = ET.SubElement(svg, "a", href=href) if href else svg
        text = fit(short_label(label), label_width - 8)
        _text(parent, left - 6, y + row / 2 + 5, text, **{"text-anchor": "end", "class": "label"})
    ET.SubElement(svg, "line", x1=_n(left), x2=_n(left), y1="0", y2=_n(bottom), stroke=_AXIS)
    return Drawing(_markup(svg))


def heatmap(
    grid: Sequence[Sequence[int]],
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    chart_id: str,
    title: str,
    desc: str,
    tip: Callable[[int, int, int], str],
    label_width: float = 36,
) -> Drawing:
    """Draw `grid[row][column]` as cells coloured by amount; `tip(row, column, value)` is each cell's
    tooltip; `label_width` is the room of the row labels."""
    left, top, gap = label_width, 20, 1.5
    cell = (WIDTH - left - 2) / len(column_labels)
    line = max(cell, TICK_SIZE * 1.3)  # a row at least a line of its label high, so labels never touch
    height = top + line * len(row_labels) + 4
    most = max((v for line in grid for v in line), default=0)
    svg = _svg(chart_id, title, desc, height)
    for c, label in enumerate(column_labels):
        if label:
            _text(svg, left + c * cell + cell / 2, top - 5, label, **{"text-anchor": "middle", "class": "tick"})
    for r, label in enumerate(row_labels):
        y = top + r * line
        _text(svg, left - 5, y + line / 2 + 4, label, **{"text-anchor": "end", "class": "tick"})
        for c, value in enumerate(grid[r]):
            colour = shade(value, most)
            _rect(svg, left + c * cell + gap / 2, y + gap / 2, cell - gap, line - gap, colour, tip(r, c, value))
    return Drawing(_markup(svg), heatmap_legend(most))


def shade(value: float, most: float) -> str:
    """Return the colour of `value` on a scale whose darkest class holds `most` (0 has its own grey)."""
    if value <= 0 or most <= 0:
        return EMPTY
    return SEQUENTIAL[min(len(SEQUENTIAL) - 1, math.ceil(value / most * len(SEQUENTIAL)) - 1)]


def heatmap_legend(most: float) -> tuple[LegendItem, ...]:
    """Legend of `shade`: one item per class, with the range of amounts it covers."""
    items = [LegendItem("0", EMPTY)]
    classes = len(SEQUENTIAL)
    for k, colour in enumerate(SEQUENTIAL):
        low, high = math.floor(most * k / classes) + 1, math.floor(most * (k + 1) / classes)
        if high >= low:
            items.append(LegendItem(f"{low:,}" if low == high else f"{low:,}–{high:,}", colour))
    return tuple(items)


def stacked_columns(
    days: Sequence[date],
    series: Sequence[tuple[str, Sequence[float]]],
    chart_id: str,
    title: str,
    desc: str,
) -> Drawing:
    """Draw one column per day, stacked from the bottom by `series` (name, one value per day)."""
    height, left, right, top, bottom = 220, 40, WIDTH - 16, 10, 188
    totals = [sum(values[k] for _, values in series) for k in range(len(days))]
    ticks = nice_ticks(max(totals, default=0))
    first, last = days[0], days[-1]
    slots = (last - first).days + 1
    slot = (right - left) / slots
    colours = [REMAINDER if name == OTHER_KINDS else PALETTE[k % len(PALETTE)] for k, (name, _) in enumerate(series)]

    def y(value: float) -> float:
        return bottom - (bottom - top) * value / ticks[-1]

    svg = _svg(chart_id, title, desc, height)
    _y_axis(svg, ticks, left, right, y)
    _x_day_axis(svg, first, last, lambda d: left + slot * ((d - first).days + 0.5), bottom, right - left)
    for k, day in enumerate(days):
        x, base = left + slot * (day - first).days + slot * 0.1, 0.0
        for (name, values), colour in zip(series, colours, strict=True):
            if values[k] <= 0:
                continue
            tip = f"{day.isoformat()} · {isolate(short_label(name, TIP_CHARS))}: {amount(values[k])}"
            top_y = y(base + values[k])
            _rect(svg, x, top_y, slot * 0.8, y(base) - top_y, colour, tip, **{"class": "seg"})
            base += values[k]
    legend = tuple(LegendItem(name, colour) for (name, _), colour in zip(series, colours, strict=True))
    return Drawing(_markup(svg), legend)


#: The name of the remainder series of `stacked_columns`, drawn in grey.
OTHER_KINDS = "other kinds"
