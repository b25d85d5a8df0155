"""The report's charts (issue 14), pure: each chart is laid out once as a few shapes (rectangles, texts,
polylines) and drawn either as an SVG string for the page (no script: it runs under the pages' CSP, and
colours are presentation attributes, not inline styles) or as a reportlab drawing for the PDF
(`recoup.reports.pdf`), so the page and the PDF show the same picture.

Texts come through `translate(msgid)` (the UI catalogues) and amounts through `money(minor)`; every text
is escaped when it becomes SVG. Coordinates have their origin at the top left, as SVG has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from xml.sax.saxutils import escape, quoteattr

from recoup.reports.summary import AgeRow, CauseRow, DayRow, Funnel, KindRow, RateRow, Summary

Translate = Callable[[str], str]
MoneyFormat = Callable[[int], str]

WIDTH = 640.0
BAR_COLOUR, LINE_COLOUR, AXIS_COLOUR, TEXT_COLOUR = "#2f6db5", "#d9822b", "#9aa5b1", "#222222"
FUNNEL_COLOURS = ("#2f6db5", "#4a8fd6", "#79b0e6", "#2e9e6a")
FONT_SIZE, TITLE_SIZE, ROW_HEIGHT, TOP = 11.0, 13.0, 22.0, 34.0
AGE_BUCKETS = {"0-2d": "0-2 days", "3-7d": "3-7 days", "8-30d": "8-30 days", ">30d": "over 30 days"}


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # the baseline
    text: str
    size: float = FONT_SIZE
    anchor: str = "start"  # start | middle | end
    fill: str = TEXT_COLOUR


@dataclass(frozen=True)
class Line:
    points: tuple[tuple[float, float], ...]
    stroke: str
    width: float = 1.5


Shape = Rect | Text | Line


@dataclass(frozen=True)
class Chart:
    key: str  # what the chart shows, as an id: by-day, by-kind, by-cause, funnel, worst-terminals, ...
    title: str
    width: float
    height: float
    shapes: tuple[Shape, ...]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as people read it, at the end of the bar


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """An estimate of a text's width: a CJK character is one em wide, others about 0.6 em."""
    return sum(size if ord(char) > 0x2E80 else size * 0.6 for char in text)


def bar_chart(key: str, title: str, bars: Sequence[Bar], empty: str) -> Chart:
    """Horizontal bars, longest value widest; the labels on the left, the values after the bars."""
    label_width = min(max((text_width(bar.label) for bar in bars), default=0.0) + 12, WIDTH * 0.4)
    value_width = max((text_width(bar.text) for bar in bars), default=0.0) + 10
    room = max(WIDTH - label_width - value_width - 8, 40.0)
    biggest = max((bar.value for bar in bars), default=0.0)
    shapes: list[Shape] = [Text(0, 18, title, TITLE_SIZE)]
    for index, bar in enumerate(bars):
        top = TOP + index * ROW_HEIGHT
        length = room * bar.value / biggest if biggest > 0 else 0.0
        shapes.append(Text(label_width - 8, top + 14, bar.label, anchor="end"))
        shapes.append(Rect(label_width, top + 3, max(length, 1.0), ROW_HEIGHT - 6, BAR_COLOUR))
        shapes.append(Text(label_width + length + 6, top + 14, bar.text))
    if not bars:
        shapes.append(Text(0, TOP + 14, empty, fill=AXIS_COLOUR))
    height = TOP + max(len(bars), 1) * ROW_HEIGHT + 6
    return Chart(key, title, WIDTH, height, tuple(shapes))


def day_chart(rows: Sequence[DayRow], translate: Translate, money: MoneyFormat) -> Chart:
    """Findings per day as bars (left scale) and the day's differences as a line (right scale)."""
    title = translate("Findings and differences by day")
    left, right, top, bottom, height = 44.0, 84.0, 52.0, 34.0, 260.0
    plot_width, plot_height = WIDTH - left - right, height - top - bottom
    shapes: list[Shape] = [
        Text(0, 18, title, TITLE_SIZE),
        Rect(0, 28, 10, 10, BAR_COLOUR), Text(14, 37, translate("Findings")),
        Rect(120, 32, 10, 2, LINE_COLOUR), Text(134, 37, translate("Difference")),
        Line(((left, top), (left, top + plot_height), (left + plot_width, top + plot_height)), AXIS_COLOUR, 1.0),
    ]
    if not rows:
        shapes.append(Text(left + 8, top + plot_height / 2, translate("Nothing in this period"), fill=AXIS_COLOUR))
        return Chart("by-day", title, WIDTH, height, tuple(shapes))
    most = max(max(row.findings for row in rows), 1)
    largest = max(max(abs(row.difference_minor) for row in rows), 1)
    slot = plot_width / len(rows)
    points = []
    for index, row in enumerate(rows):
        bar_height = plot_height * row.findings / most
        x = left + index * slot
        shapes.append(Rect(x + slot * 0.15, top + plot_height - bar_height, max(slot * 0.7, 1.0), bar_height,
                           BAR_COLOUR))
        points.append((x + slot / 2, top + plot_height - plot_height * abs(row.difference_minor) / largest))
    shapes.append(Line(tuple(points), LINE_COLOUR, 2.0))
    shapes += [Text(left - 6, top + 4, str(most), anchor="end"), Text(left - 6, top + plot_height, "0", anchor="end"),
               Text(left + plot_width + 6, top + 4, money(largest))]
    every = max(1, -(-len(rows) // 8))  # at most 8 dates under the axis
    for index in range(0, len(rows), every):
        shapes.append(Text(left + index * slot + slot / 2, height - 14, rows[index].day.strftime("%m-%d"),
                           anchor="middle"))
    return Chart("by-day", title, WIDTH, height, tuple(shapes))


def kind_chart(rows: Sequence[KindRow], translate: Translate, money: MoneyFormat) -> Chart:
    bars = [Bar(code_name(row.kind, translate), row.findings, f"{row.findings} · {money(row.amount_at_stake_minor)}")
            for row in rows]
    return bar_chart("by-kind", translate("Findings by kind"), bars, translate("Nothing in this period"))


def code_name(code: str, translate: Translate) -> str:
    """A kind's or a cause's words: the catalogue's, else the code made readable (OVER_REFUND: Over refund)."""
    text = translate(code)
    return code.replace("_", " ").capitalize() if text == code and code.isupper() else text


def cause_name(cause: str, translate: Translate) -> str:
    return code_name(cause, translate) if cause else translate("No cause named")


def cause_chart(rows: Sequence[CauseRow], translate: Translate, money: MoneyFormat) -> Chart:
    bars = [Bar(cause_name(row.cause, translate), row.findings, f"{row.findings} · {money(row.difference_minor)}")
            for row in rows]
    return bar_chart("by-cause", translate("Findings by cause"), bars, translate("Nothing in this period"))


def funnel_chart(funnel: Funnel, translate: Translate) -> Chart:
    steps = (("Found", funnel.found), ("With a case", funnel.cased), ("With an action", funnel.acted),
             ("Money seen", funnel.recovered))
    bars = [Bar(translate(name), count, f"{count} ({count / funnel.found:.0%})" if funnel.found else str(count))
            for name, count in steps]
    chart = bar_chart("funnel", translate("Recovery funnel"), bars, "")
    colours = iter(FUNNEL_COLOURS)  # one colour per step, in order
    coloured = [replace(shape, fill=next(colours)) if isinstance(shape, Rect) else shape for shape in chart.shapes]
    return Chart(chart.key, chart.title, chart.width, chart.height, tuple(coloured))


def worst_chart(key: str, title: str, rows: Sequence[RateRow], translate: Translate, *,
                with_merchant: bool = False, by_merchant: bool = False) -> Chart:
    """Worst first. Merchants (`by_merchant`) are labelled by name (the id when none is on file); a cashier
    id only means something within its merchant, so cashiers are labelled with the merchant's name, or its
    id's last four digits ("Shop · 003", "…1439 · 003")."""
    bars = [Bar(rate_label(row, with_merchant=with_merchant, by_merchant=by_merchant), row.per_thousand,
                f"{row.per_thousand:.1f}‰ ({row.findings}/{row.transactions})") for row in rows]
    return bar_chart(key, title, bars, translate("Nothing in this period"))


def rate_label(row: RateRow, *, with_merchant: bool = False, by_merchant: bool = False) -> str:
    if by_merchant:
        return _shortened(row.merchant, 18)
    if with_merchant:
        return f"{_shortened(row.merchant_name, 12) or '…' + row.merchant_id[-4:]} · {row.key}"
    return row.key


def _shortened(text: str, most: int) -> str:
    return text if len(text) <= most else text[:most - 1] + "…"


def ageing_chart(rows: Sequence[AgeRow], translate: Translate) -> Chart:
    bars = [Bar(translate(AGE_BUCKETS.get(row.bucket, row.bucket)), row.cases, str(row.cases)) for row in rows]
    return bar_chart("ageing", translate("Ageing of open cases"), bars, translate("No open cases"))


def report_charts(summary: Summary, translate: Translate, money: MoneyFormat) -> list[Chart]:
    """Every chart of the report, in the order the page and the PDF show them."""
    return [
        day_chart(summary.by_day, translate, money),
        kind_chart(summary.by_kind, translate, money),
        cause_chart(summary.by_cause, translate, money),
        funnel_chart(summary.funnel, translate),
        worst_chart("worst-terminals", translate("Worst terminals (findings per 1,000 transactions)"),
                    summary.worst_terminals, translate),
        worst_chart("worst-cashiers", translate("Worst cashiers (findings per 1,000 transactions)"),
                    summary.worst_cashiers, translate, with_merchant=True),
        ageing_chart(summary.ageing, translate),
    ]


def _number(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _svg_shape(shape: Shape) -> str:
    if isinstance(shape, Rect):
        return (f'<rect x="{_number(shape.x)}" y="{_number(shape.y)}" width="{_number(shape.width)}" '
                f'height="{_number(shape.height)}" fill="{shape.fill}"/>')
    if isinstance(shape, Text):
        return (f'<text x="{_number(shape.x)}" y="{_number(shape.y)}" font-size="{_number(shape.size)}" '
                f'text-anchor="{shape.anchor}" fill="{shape.fill}">{escape(shape.text)}</text>')
    points = " ".join(f"{_number(x)},{_number(y)}" for x, y in shape.points)
    return f'<polyline points="{points}" fill="none" stroke="{shape.stroke}" stroke-width="{_number(shape.width)}"/>'


def to_svg(chart: Chart) -> str:
    """The chart as an inline SVG element (well-formed XML, every text escaped)."""
    body = "".join(_svg_shape(shape) for shape in chart.shapes)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart={quoteattr(chart.key)} '
            f'role="img" aria-label={quoteattr(chart.title)} width="{_number(chart.width)}" '
            f'height="{_number(chart.height)}" viewBox="0 0 {_number(chart.width)} {_number(chart.height)}" '
            f'font-family="sans-serif"><title>{escape(chart.title)}</title>{body}</svg>')
