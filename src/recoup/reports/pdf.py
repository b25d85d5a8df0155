"""The report as a PDF (reportlab): title, period, merchant scope, the totals, the charts, the tables.

The charts are the page's (`recoup.reports.charts`), each shape drawn with reportlab graphics, so the PDF
and the page show the same picture. Chinese needs an embedded CJK font with TrueType outlines: reportlab
cannot embed the CFF outlines of Noto Sans CJK (fonts-noto-cjk), so texts are drawn in runs, Latin in
DejaVu Sans and Chinese in Droid Sans Fallback (fonts-droid-fallback, which Ghostscript brings), both
embedded as subsets; without them, reportlab's built-in STSong-Light CID font (not embedded).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.shapes import Drawing, PolyLine, String
from reportlab.graphics.shapes import Rect as DrawnRect
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from recoup.reports.charts import Chart, Line, Rect, Text, report_charts
from recoup.reports.summary import Summary
from recoup.reports.tables import (
    Table,
    cell_format,
    format_value,
    money_formatter,
    report_tables,
    scope_text,
    translator,
)

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
    Path("/usr/share/fonts/truetype/arphic/uming.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
LATIN_FONTS = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf"),
)
FALLBACK_FONT = "STSong-Light"
PAGE_WIDTH = A4[0] - 30 * mm
HEADER_FILL = colors.HexColor("#e8eef6")


@dataclass(frozen=True)
class Fonts:
    """A Latin font and a CJK font, both embedded: each text is drawn in runs, each run in the font that has
    its characters (the CJK fallback fonts lack Latin glyphs; the Latin ones lack Chinese)."""

    latin: str
    cjk: str
    latin_chars: frozenset[int]

    def runs(self, text: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        for char in text:
            font = self.latin if ord(char) in self.latin_chars or self.latin == self.cjk else self.cjk
            if found and found[-1][0] == font:
                found[-1] = (font, found[-1][1] + char)
            else:
                found.append((font, char))
        return found

    def markup(self, text: str) -> str:
        """Paragraph markup of `text` (escaped), each run in its font."""
        return "".join(f'<font name="{font}">{escape(part)}</font>' for font, part in self.runs(text))

    def width(self, text: str, size: float) -> float:
        return float(sum(pdfmetrics.stringWidth(part, font, size) for font, part in self.runs(text)))


def _register(name: str, candidates: tuple[Path, ...]) -> TTFont | None:
    for path in candidates:
        if path.exists():
            try:
                font = TTFont(name, str(path), subfontIndex=0)
            except Exception:
                continue
            pdfmetrics.registerFont(font)
            return font
    return None


@lru_cache(maxsize=1)
def report_fonts() -> Fonts:
    """The fonts of the PDF, registered once per process; without TrueType fonts, reportlab's built-in
    STSong-Light CID font (not embedded: the viewer substitutes its own CJK font)."""
    latin, cjk = _register("RecoupLatin", LATIN_FONTS), _register("RecoupCJK", CJK_FONTS)
    if latin is None or cjk is None:
        pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK_FONT))
        return Fonts(FALLBACK_FONT, FALLBACK_FONT, frozenset())
    return Fonts("RecoupLatin", "RecoupCJK", frozenset(latin.face.charToGlyph))


def _string(fonts: Fonts, shape: Text, y: float) -> list[String]:
    """A chart text as one string per font run, placed after each other from its anchor."""
    x = shape.x - {"start": 0.0, "middle": 0.5, "end": 1.0}[shape.anchor] * fonts.width(shape.text, shape.size)
    drawn = []
    for font, part in fonts.runs(shape.text):
        drawn.append(String(x, y, part, fontName=font, fontSize=shape.size, fillColor=colors.HexColor(shape.fill)))
        x += pdfmetrics.stringWidth(part, font, shape.size)
    return drawn


def chart_drawing(chart: Chart, fonts: Fonts, width: float = PAGE_WIDTH) -> Drawing:
    """The chart as a reportlab drawing, scaled to `width` (reportlab's y axis points up: flipped)."""
    scale = min(1.0, width / chart.width)
    drawing = Drawing(chart.width * scale, chart.height * scale)
    flip = chart.height
    for shape in chart.shapes:
        if isinstance(shape, Rect):
            drawing.add(DrawnRect(shape.x, flip - shape.y - shape.height, shape.width, shape.height,
                                  fillColor=colors.HexColor(shape.fill), strokeColor=None))
        elif isinstance(shape, Text):
            for string in _string(fonts, shape, flip - shape.y):
                drawing.add(string)
        elif isinstance(shape, Line):
            points = [coordinate for x, y in shape.points for coordinate in (x, flip - y)]
            drawing.add(PolyLine(points, strokeColor=colors.HexColor(shape.stroke), strokeWidth=shape.width))
    drawing.scale(scale, scale)
    return drawing


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, spaceAfter=6),
        "line": ParagraphStyle("line", fontName=font, fontSize=10, leading=14),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=12, leading=16, spaceBefore=10, spaceAfter=4),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8.5, leading=11),
    }


def table_flowable(table: Table, fonts: Fonts, money: Callable[[int], str]) -> PdfTable:
    """A table with its headings repeated on each page, numbers aligned right."""
    left = ParagraphStyle("cell", fontName=fonts.latin, fontSize=8.5, leading=11)
    right = ParagraphStyle("number", parent=left, alignment=TA_RIGHT)
    rows: list[list[Flowable]] = [[Paragraph(fonts.markup(text), left) for text in table.headings]]
    for row_index, row in enumerate(table.rows):
        formats = [cell_format(table, row_index, column) for column in range(len(row))]
        rows.append([Paragraph(fonts.markup(format_value(value, fmt, money)), left if fmt == "text" else right)
                     for value, fmt in zip(row, formats, strict=True)])
    first = PAGE_WIDTH * 0.3
    others = (PAGE_WIDTH - first) / max(len(table.headings) - 1, 1)
    drawn = PdfTable(rows, colWidths=[first, *[others] * (len(table.headings) - 1)], repeatRows=1, hAlign="LEFT")
    drawn.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                               ("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "MIDDLE")]))
    return drawn


def report_flowables(summary: Summary, lang: str) -> list[Flowable]:
    t, money, fonts = translator(lang), money_formatter(lang, summary.currency), report_fonts()
    styles = _styles(fonts.latin)
    tables = report_tables(summary, t)
    story: list[Flowable] = [
        Paragraph(fonts.markup(t("Recoup report")), styles["title"]),
        Paragraph(fonts.markup(f"{t('Period')}: {summary.date_from.isoformat()} – {summary.date_to.isoformat()}"),
                  styles["line"]),
        Paragraph(fonts.markup(f"{t('Merchants')}: {scope_text(summary, t)}"), styles["line"]),
        Paragraph(fonts.markup(f"{t('Currency')}: {summary.currency}"), styles["line"]),
        Paragraph(fonts.markup(tables[0].title), styles["heading"]),
        table_flowable(tables[0], fonts, money),
        Spacer(1, 8),
    ]
    for chart in report_charts(summary, t, money):
        story += [Spacer(1, 6), KeepTogether([chart_drawing(chart, fonts)])]
    for table in tables[1:]:
        heading = Paragraph(fonts.markup(table.title), styles["heading"])
        if table.rows:
            story += [heading, table_flowable(table, fonts, money)]
        else:
            story += [heading, Paragraph(fonts.markup(t("Nothing in this period")), styles["cell"])]
    return story


def render_pdf(summary: Summary, lang: str) -> bytes:
    """The report as PDF bytes (deterministic: the same summary gives the same file)."""
    out = io.BytesIO()
    t = translator(lang)
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                                 bottomMargin=15 * mm, title=t("Recoup report"), author="Recoup", invariant=True)
    document.build(report_flowables(summary, lang))
    return out.getvalue()
