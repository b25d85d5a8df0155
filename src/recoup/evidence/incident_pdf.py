"""The incident report laid out as a PDF (reportlab), in Chinese or English.

Fonts are the periodic report's (recoup.reports.pdf.report_fonts: DejaVu Sans and Droid Sans Fallback,
embedded as subsets, each text drawn in runs). Every text goes through `Fonts.markup`, which xml-escapes
it: a note that reads `<script>` or `<b>` is printed as typed, never read as Paragraph markup.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, TableStyle
from reportlab.platypus import Table as PdfTable

from recoup.evidence.incident_facts import CaseFacts
from recoup.evidence.incident_sections import Heading, Section, report_sections
from recoup.evidence.incident_words import Words
from recoup.reports.pdf import HEADER_FILL, PAGE_WIDTH, Fonts, report_fonts

MARGIN = 15 * mm
GRID = colors.HexColor("#b8c2cc")
LABEL_FILL = colors.HexColor("#f3f5f8")
PADDING = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 3),
           ("RIGHTPADDING", (0, 0), (-1, -1), 3)]


def _styles(font: str) -> dict[str, ParagraphStyle]:
    return {
        "title": ParagraphStyle("title", fontName=font, fontSize=18, leading=24, spaceAfter=4),
        "line": ParagraphStyle("line", fontName=font, fontSize=9.5, leading=13),
        "subheading": ParagraphStyle("subheading", fontName=font, fontSize=10, leading=14, spaceAfter=2,
                                     keepWithNext=1),
        "heading": ParagraphStyle("heading", fontName=font, fontSize=12.5, leading=17, spaceBefore=10, spaceAfter=4,
                                  keepWithNext=1, textColor=colors.HexColor("#1f3a5f")),
        "cell": ParagraphStyle("cell", fontName=font, fontSize=8, leading=10.5),
        "empty": ParagraphStyle("empty", fontName=font, fontSize=9, leading=12, textColor=colors.HexColor("#555555")),
    }


def _pairs(rows: Sequence[tuple[str, str]], fonts: Fonts, style: ParagraphStyle) -> PdfTable:
    """Label | value rows (the case's facts, the place, the outcome, one finding)."""
    cells = [[Paragraph(fonts.markup(label), style), Paragraph(fonts.markup(value), style)] for label, value in rows]
    table = PdfTable(cells, colWidths=[PAGE_WIDTH * 0.24, PAGE_WIDTH * 0.76], hAlign="LEFT")
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.4, GRID), ("BACKGROUND", (0, 0), (0, -1), LABEL_FILL),
                               *PADDING]))
    return table


def _grid(headings: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], fonts: Fonts,
          style: ParagraphStyle) -> PdfTable:
    """A table with its headings repeated on each page; `widths` are fractions of the page's width."""
    cells = [[Paragraph(fonts.markup(text), style) for text in headings]]
    cells += [[Paragraph(fonts.markup(text), style) for text in row] for row in rows]
    table = PdfTable(cells, colWidths=[PAGE_WIDTH * width for width in widths], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL), ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                               *PADDING]))
    return table


def _section(section: Section, fonts: Fonts, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    story: list[Flowable] = [Paragraph(fonts.markup(section.title), styles["heading"])]
    for index, part in enumerate(section.parts):
        if index:
            story.append(Spacer(1, 4))
        if isinstance(part, Heading):
            story.append(Paragraph(fonts.markup(part.text), styles["subheading"]))
        elif part.headings:
            story.append(_grid(part.headings, part.rows, part.widths, fonts, styles["cell"]))
        else:
            story.append(_pairs([(row[0], row[1]) for row in part.rows], fonts, styles["cell"]))
    if not section.parts:
        story.append(Paragraph(fonts.markup(section.empty), styles["empty"]))
    return story


def _draw(canvas: Canvas, fonts: Fonts, x: float, y: float, text: str, size: float, *, right: bool = False) -> None:
    """One line of text in font runs (Latin and Chinese), from x (or ending at x when `right`)."""
    if right:
        x -= fonts.width(text, size)
    for font, part in fonts.runs(text):
        canvas.setFont(font, size)
        canvas.drawString(x, y, part)
        x += canvas.stringWidth(part, font, size)


def _numbered_canvas(fonts: Fonts, header: str, page_label: str) -> type[Canvas]:
    """A canvas that holds its pages until the end, then stamps each with the header and "page X of Y"."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]  # reportlab has no type hints
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **{**kwargs, "initialFontName": fonts.latin})  # no unembedded Helvetica
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self.setFillColor(colors.HexColor("#555555"))
                top, width = A4[1] - 10 * mm, A4[0]
                _draw(self, fonts, MARGIN, top, header, 8)
                _draw(self, fonts, width - MARGIN, 8 * mm, page_label.format(page=number, pages=total), 8, right=True)
                self.setStrokeColor(GRID)
                self.line(MARGIN, top - 2 * mm, width - MARGIN, top - 2 * mm)
                super().showPage()
            super().save()

    return NumberedCanvas


def render_facts(facts: CaseFacts, words: Words, generated: str) -> bytes:
    """The report of `facts` as PDF bytes; `generated` is the time of generation, already in words."""
    fonts = report_fonts()
    styles = _styles(fonts.latin)
    title = words.t("Incident report")
    story: list[Flowable] = [
        Paragraph(fonts.markup(f"{title} {facts.number}"), styles["title"]),
        Paragraph(fonts.markup(f"{words.t('Generated at')}: {generated}"), styles["line"]),
        Paragraph(fonts.markup(f"{words.t('Times are in the time zone')}: {facts.place.timezone}"), styles["line"]),
    ]
    for section in report_sections(facts, words):
        story += _section(section, fonts, styles)
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN + 4 * mm,
                                 bottomMargin=MARGIN, title=f"{title} {facts.number}", author="Recoup",
                                 invariant=True)
    header = f"{title} · {facts.number} · {words.t('Generated at')} {generated}"
    document.build(story, canvasmaker=_numbered_canvas(fonts, header, words.t("page {page} of {pages}")))
    return out.getvalue()
