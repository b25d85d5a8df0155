"""The dashboard's weekly charts (issue 14), pure: weeks made from daily numbers, drawn with the shapes of
recoup.reports.charts (so they render as SVG on the page like the report's charts).

- amounts at stake and recovered per week, side by side (merchant finance, admins);
- findings per week (cashiers);
- the recovery rate per week as a line (auditors).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from recoup.reports.charts import (
    AXIS_COLOUR,
    BAR_COLOUR,
    LINE_COLOUR,
    TITLE_SIZE,
    WIDTH,
    Chart,
    Line,
    MoneyFormat,
    Rect,
    Shape,
    Text,
    Translate,
)

LEFT, RIGHT, TOP, BOTTOM, HEIGHT = 64.0, 16.0, 52.0, 34.0, 240.0


@dataclass(frozen=True)
class Week:
    start: date  # the Monday
    findings: int = 0
    cases: int = 0
    at_stake_minor: int = 0
    recovered_minor: int = 0

    @property
    def recovery_rate(self) -> float:
        return self.recovered_minor / self.at_stake_minor if self.at_stake_minor else 0.0


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weeks(first: date, last: date, findings: dict[date, tuple[int, int]],
          cases: dict[date, tuple[int, int, int, int]]) -> list[Week]:
    """Every week (Monday first) from `first` to `last`, an empty one included, summing the days' numbers."""
    starts = sorted({monday(first + timedelta(days=offset)) for offset in range((last - first).days + 1)})
    totals = {start: [0, 0, 0, 0] for start in starts}
    for day, (count, _difference) in findings.items():
        if monday(day) in totals:
            totals[monday(day)][0] += count
    for day, (count, stake, back, _done) in cases.items():
        if monday(day) in totals:
            row = totals[monday(day)]
            row[1], row[2], row[3] = row[1] + count, row[2] + stake, row[3] + back
    return [Week(start, *totals[start]) for start in starts]


def _frame(title: str, legend: Sequence[tuple[str, str]]) -> list[Shape]:
    plot_height = HEIGHT - TOP - BOTTOM
    shapes: list[Shape] = [Text(0, 18, title, TITLE_SIZE),
                           Line(((LEFT, TOP), (LEFT, TOP + plot_height), (WIDTH - RIGHT, TOP + plot_height)),
                                AXIS_COLOUR, 1.0)]
    x = 0.0
    for name, colour in legend:
        shapes += [Rect(x, 28, 10, 10, colour), Text(x + 14, 37, name)]
        x += 24 + len(name) * 11
    return shapes


def _labels(rows: Sequence[Week], slot: float) -> list[Shape]:
    return [Text(LEFT + index * slot + slot / 2, HEIGHT - 14, row.start.strftime("%m-%d"), anchor="middle")
            for index, row in enumerate(rows)]


def week_bars(key: str, title: str, rows: Sequence[Week], series: Sequence[tuple[str, str, Callable[[Week], int]]],
              shown: Callable[[int], str], empty: str) -> Chart:
    """Bars per week, one per series side by side, on one scale (the largest value named on the axis)."""
    shapes = _frame(title, [(name, colour) for name, colour, _ in series])
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    largest = max((value(row) for row in rows for _, _, value in series), default=0)
    if not rows or largest <= 0:
        shapes.append(Text(LEFT + 8, TOP + plot_height / 2, empty, fill=AXIS_COLOUR))
        return Chart(key, title, WIDTH, HEIGHT, tuple(shapes))
    slot = plot_width / len(rows)
    width = slot * 0.7 / len(series)
    for index, row in enumerate(rows):
        for number, (_, colour, value) in enumerate(series):
            height = plot_height * value(row) / largest
            shapes.append(Rect(LEFT + index * slot + slot * 0.15 + number * width, TOP + plot_height - height,
                               max(width, 1.0), height, colour))
    # The scale's top is written above the axis, not beside it: an amount like ¥1,258,348.35 is wider than LEFT.
    shapes += [Text(LEFT + 4, TOP - 4, shown(largest)), Text(LEFT - 6, TOP + plot_height, "0", anchor="end"),
               *_labels(rows, slot)]
    return Chart(key, title, WIDTH, HEIGHT, tuple(shapes))


def amounts_chart(rows: Sequence[Week], translate: Translate, money: MoneyFormat) -> Chart:
    return week_bars("amounts-by-week", translate("Amount at stake vs recovered, by week"), rows,
                     [(translate("At stake"), BAR_COLOUR, lambda week: week.at_stake_minor),
                      (translate("Recovered"), LINE_COLOUR, lambda week: week.recovered_minor)],
                     money, translate("Nothing in this period"))


def findings_chart(rows: Sequence[Week], translate: Translate) -> Chart:
    return week_bars("findings-by-week", translate("Findings per week"), rows,
                     [(translate("Findings"), BAR_COLOUR, lambda week: week.findings)], str,
                     translate("Nothing in this period"))


def recovery_rate_chart(rows: Sequence[Week], translate: Translate) -> Chart:
    """The share of the week's amount at stake recovered so far, as a line from 0 to 100 %."""
    title = translate("Recovery rate by week")
    shapes = _frame(title, [(translate("Recovery rate (amount)"), LINE_COLOUR)])
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    if not rows:
        return Chart("recovery-rate-by-week", title, WIDTH, HEIGHT, tuple(shapes))
    slot = plot_width / len(rows)
    points = tuple((LEFT + index * slot + slot / 2, TOP + plot_height * (1 - row.recovery_rate))
                   for index, row in enumerate(rows))
    shapes += [Line(points, LINE_COLOUR, 2.0), Text(LEFT - 6, TOP + 4, "100%", anchor="end"),
               Text(LEFT - 6, TOP + plot_height, "0%", anchor="end"), *_labels(rows, slot)]
    shapes += [Text(x, y - 6, f"{row.recovery_rate:.0%}", anchor="middle")
               for (x, y), row in zip(points, rows, strict=True) if row.at_stake_minor]
    return Chart("recovery-rate-by-week", title, WIDTH, HEIGHT, tuple(shapes))
