"""The report's charts (issue 14): well-formed SVG with every label escaped, the same shapes for the PDF,
bars as long as their values say, kinds and causes in words in both languages."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from tests.reports.report_samples import HOSTILE, MERCHANT_NAME, sample_summary

from recoup.reports.charts import Bar, Rect, Text, bar_chart, day_chart, rate_label, report_charts, to_svg
from recoup.reports.pdf import chart_drawing, report_fonts
from recoup.reports.summary import DayRow, RateRow
from recoup.reports.tables import money_formatter, translator

SVG = "{http://www.w3.org/2000/svg}"


def _charts(lang: str, **options: object) -> list[str]:
    summary = sample_summary(**options)  # type: ignore[arg-type]
    return [to_svg(chart) for chart in report_charts(summary, translator(lang), money_formatter(lang, "CNY"))]


def _texts(svg: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(svg).iter(f"{SVG}text")]


def test_every_chart_is_well_formed_svg_with_a_title() -> None:
    charts = _charts("zh")
    keys = [ET.fromstring(svg).get("data-chart") for svg in charts]
    assert keys == ["by-day", "by-kind", "by-cause", "funnel", "worst-terminals", "worst-cashiers", "ageing"]
    assert all(ET.fromstring(svg).find(f"{SVG}title") is not None for svg in charts)
    assert all("<script" not in svg and "style=" not in svg for svg in charts)  # nothing the page's CSP blocks


def test_a_hostile_label_is_shown_as_text_never_as_markup() -> None:
    terminals = next(svg for svg in _charts("en", terminal=HOSTILE) if 'data-chart="worst-terminals"' in svg)
    assert "<script>" not in terminals
    assert HOSTILE in _texts(terminals)  # read back exactly as it was, as a text


def test_merchants_are_named_on_the_bars_with_the_id_as_fallback() -> None:
    named, unnamed = RateRow("C007", "898301054110001", 500, 4, 8.0, MERCHANT_NAME), RateRow("C007", "898301054110002",
                                                                                           500, 4, 8.0)
    assert rate_label(named, by_merchant=True) == MERCHANT_NAME
    assert rate_label(unnamed, by_merchant=True) == "898301054110002"
    assert rate_label(named, with_merchant=True) == f"{MERCHANT_NAME} · C007"
    assert rate_label(unnamed, with_merchant=True) == "…0002 · C007"
    long = RateRow("T1", "898301054110001", 1, 1, 1000.0, "上海市浦东新区世纪大道一百号湖滨便利店有限公司")
    assert rate_label(long, by_merchant=True) == "上海市浦东新区世纪大道一百号湖滨便…"  # fits left of the bars
    cashiers = next(svg for svg in _charts("en") if 'data-chart="worst-cashiers"' in svg)
    assert "…0002 · C007" in _texts(cashiers)


def test_kinds_and_causes_are_words_in_chinese_and_in_english() -> None:
    chinese, english = _charts("zh"), _charts("en")
    assert "多收" in _texts(chinese[1])
    assert "重复扣款" in _texts(chinese[1])
    assert "Overcharge" in _texts(english[1])
    assert "Duplicate charge" in _texts(english[1])
    assert "多输一位" in _texts(chinese[2])
    assert "未标明原因" in _texts(chinese[2])
    assert "OVERCHARGE" not in _texts(english[1]) + _texts(chinese[1])
    assert "追回漏斗" in _texts(chinese[3])
    assert "Recovery funnel" in _texts(english[3])


def test_the_day_chart_has_a_bar_and_a_line_point_per_day() -> None:
    rows = [DayRow(date(2026, 3, 1) + timedelta(days=n), n + 1, 100 * (n + 1)) for n in range(12)]
    svg = to_svg(day_chart(rows, translator("en"), money_formatter("en", "CNY")))
    root = ET.fromstring(svg)
    bars = [rect for rect in root.iter(f"{SVG}rect") if float(rect.get("width", 0)) > 10]  # not the legend
    heights = [float(rect.get("height", 0)) for rect in bars]
    assert len(bars) == 12
    assert heights == sorted(heights)
    axes, line = root.findall(f"{SVG}polyline")
    assert len(line.get("points", "").split()) == 12
    assert line.get("stroke") != axes.get("stroke")
    assert "¥12.00" in _texts(svg)  # the right scale names the largest difference (as the pages write CNY)


def test_an_empty_period_says_so() -> None:
    svg = to_svg(day_chart([], translator("zh"), money_formatter("zh", "CNY")))
    assert "本期没有数据" in _texts(svg)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=15))
def test_bars_are_as_long_as_their_values_say(values: list[int]) -> None:
    chart = bar_chart("x", "t", [Bar(f"row {n}", value, str(value)) for n, value in enumerate(values)], "none")
    widths = [shape.width for shape in chart.shapes if isinstance(shape, Rect)]
    assert len(widths) == len(values)
    biggest = max(values)
    for value, width in zip(values, widths, strict=True):
        assert width >= 1.0  # even a zero shows where the bar would be
        if biggest:
            assert abs(width - max(widths) * value / biggest) <= 1.0 + 1e-6
    labels = [shape.text for shape in chart.shapes if isinstance(shape, Text)]
    assert [f"row {n}" for n in range(len(values))] == [label for label in labels if label.startswith("row ")]


def test_the_pdf_draws_the_same_shapes_as_the_page() -> None:
    chart = report_charts(sample_summary(), translator("zh"), money_formatter("zh", "CNY"))[1]
    drawing = chart_drawing(chart, report_fonts())
    svg_rects = len([shape for shape in chart.shapes if isinstance(shape, Rect)])
    drawn = [type(item).__name__ for item in drawing.contents]
    assert drawn.count("Rect") == svg_rects
    assert drawing.width <= 510.3  # scaled to the page's width
