"""What every PDF of the portal shares: bundled fonts, palette, styles, A4 page frame, typography.

Plain Python on purpose (no Reflex, no database): each document module
(:mod:`.receipt`, :mod:`.menus`, :mod:`.reglement`, :mod:`.attendance_sheet`)
builds a story of flowables and hands it to :func:`build_pdf`.

All documents use the bundled DejaVu Sans fonts (``resources/fonts``), embedded
as subsets in every PDF: the 14 standard PDF fonts only cover Latin-1 through
WinAnsi, whereas receipts need "€", "œ", narrow no-break spaces, etc., and must
look identical whatever fonts the parent's device has installed.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate, TableStyle

from cantine_portal.french import format_long_date

__all__ = [
    "ACCENT",
    "BAND",
    "CONTENT_WIDTH",
    "FONT_BOLD",
    "FONT_DIR",
    "FONT_REGULAR",
    "HEADER_BG",
    "INK",
    "MUTED",
    "RULE",
    "build_pdf",
    "capitalised_long_date",
    "commune_phrase",
    "escape_markup",
    "fr_typo",
    "styles",
    "table_style",
]

FONT_DIR = Path(__file__).resolve().parents[2] / "resources" / "fonts"
# Project-specific registry names: reportlab's font registry is process-global,
# so a generic "DejaVuSans" registered elsewhere with another file must not
# silently change our receipts (and vice versa).
FONT_REGULAR = "CantinePortalSans"
FONT_BOLD = "CantinePortalSans-Bold"

# Palette: sober and printable in greyscale (receipts are often printed).
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
ACCENT = colors.HexColor("#1d4e89")
RULE = colors.HexColor("#9aa5b1")
BAND = colors.HexColor("#eef2f7")
HEADER_BG = colors.HexColor("#dde5f0")

_PAGE_MARGIN = 18 * mm
# SimpleDocTemplate's frame keeps a 6 pt padding on each side: tables sized to
# the full text width would stick out of the frame and misalign with rules.
CONTENT_WIDTH = A4[0] - 2 * _PAGE_MARGIN - 12
_FOOTER_Y = 10 * mm

_fonts_lock = threading.Lock()
_fonts_registered = False


# --------------------------------------------------------------------------
# Typography
# --------------------------------------------------------------------------


def capitalised_long_date(day: date) -> str:
    """Capitalised long day label for headings: ``"Lundi 7 décembre"``."""
    label = format_long_date(day, with_year=False)
    return label[0].upper() + label[1:]


def commune_phrase(commune_name: str) -> str:
    """Commune as a noun phrase for running text: "la commune de Crolles".

    Tenants may be named "Crolles" or "Commune de Crolles" / "Ville de Lyon";
    both must read naturally in "… de la commune de Crolles …" without
    producing "la commune de Commune de Crolles".
    """
    name = commune_name.strip()
    lowered = name.casefold()
    for prefix in ("commune ", "ville ", "mairie "):
        if lowered.startswith(prefix):
            return "la " + name[0].lower() + name[1:]
    return f"la commune de {name}"


def fr_typo(markup: str) -> str:
    """Non-breaking space before ":" ";" "?" "!" (French typography).

    Without it a justified paragraph may wrap and leave a colon alone at the
    start of a line, which looks sloppy in an official document.
    """
    for mark, space in ((" :", "\u00a0:"), (" ;", "\u202f;"), (" ?", "\u202f?"), (" !", "\u202f!")):
        markup = markup.replace(mark, space)
    return markup


def escape_markup(text: str) -> str:
    """Escape user-provided text for reportlab's mini-markup.

    Names like "Lou & Zoé" or "<Léo>" would otherwise break paragraph parsing
    (or inject markup) since Paragraph interprets its input as XML-ish tags.
    """
    return escape(text)


# --------------------------------------------------------------------------
# Fonts and styles
# --------------------------------------------------------------------------


def _ensure_fonts() -> None:
    """Register the bundled TrueType fonts once per process (thread-safe).

    Parsing a TTF costs a few milliseconds and reportlab's registry is global,
    so we do it lazily on first render rather than at import time (importing
    this module must stay cheap for pages that never render a PDF).
    """
    global _fonts_registered
    if _fonts_registered:
        return
    with _fonts_lock:
        if _fonts_registered:
            return
        pdfmetrics.registerFont(TTFont(FONT_REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
        # Map <b> in paragraphs to the bold face (no italic files are bundled).
        pdfmetrics.registerFontFamily(
            FONT_REGULAR,
            normal=FONT_REGULAR,
            bold=FONT_BOLD,
            italic=FONT_REGULAR,
            boldItalic=FONT_BOLD,
        )
        _fonts_registered = True


@cache
def styles() -> dict[str, ParagraphStyle]:
    """Paragraph styles shared by all documents (built after font registration)."""
    _ensure_fonts()
    base = ParagraphStyle("base", fontName=FONT_REGULAR, fontSize=9.5, leading=12.5, textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11),
        "muted": ParagraphStyle("muted", parent=base, fontSize=8.5, leading=11, textColor=MUTED),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=11),
        "cell_head": ParagraphStyle("cell_head", parent=base, fontName=FONT_BOLD, fontSize=9, leading=11),
        "cell_right": ParagraphStyle("cell_right", parent=base, fontSize=9, leading=11, alignment=TA_RIGHT),
        "org": ParagraphStyle("org", parent=base, fontName=FONT_BOLD, fontSize=13, leading=16, textColor=ACCENT),
        "doc_title": ParagraphStyle(
            "doc_title", parent=base, fontName=FONT_BOLD, fontSize=17, leading=21, textColor=INK
        ),
        "doc_title_right": ParagraphStyle(
            "doc_title_right", parent=base, fontName=FONT_BOLD, fontSize=17, leading=21, alignment=TA_RIGHT
        ),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=FONT_BOLD,
            fontSize=11,
            leading=14,
            textColor=ACCENT,
            spaceBefore=8,
            spaceAfter=4,
        ),
        "body": ParagraphStyle("body", parent=base, fontSize=9.5, leading=13, alignment=TA_JUSTIFY, spaceAfter=4),
        "center_title": ParagraphStyle(
            "center_title", parent=base, fontName=FONT_BOLD, fontSize=16, leading=20, alignment=TA_CENTER, textColor=INK
        ),
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER),
        "day": ParagraphStyle("day", parent=base, fontName=FONT_BOLD, fontSize=11, leading=14, textColor=colors.white),
    }


# --------------------------------------------------------------------------
# Document plumbing
# --------------------------------------------------------------------------


def table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """TableStyle defaulting every cell to our font.

    reportlab's table cell default is Helvetica, which it selects (``Tf``)
    even in cells that only hold Paragraphs: that leaves a non-embedded
    base-14 font in the page resources, which archival (PDF/A-like) checks
    and some strict viewers dislike.
    """
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), FONT_REGULAR), *commands])


def _footer_painter(footer_left: str, total_pages: int | None) -> Callable[[Canvas, Any], None]:
    """Page decoration: a rule, the document reference on the left, "Page n / N" on the right."""

    def decorate(canv: Canvas, doc_: Any) -> None:
        page = canv.getPageNumber()
        canv.saveState()
        canv.setStrokeColor(RULE)
        canv.setLineWidth(0.5)
        width = A4[0]
        canv.line(_PAGE_MARGIN, _FOOTER_Y + 4 * mm, width - _PAGE_MARGIN, _FOOTER_Y + 4 * mm)
        canv.setFont(FONT_REGULAR, 7.5)
        canv.setFillColor(MUTED)
        canv.drawString(_PAGE_MARGIN, _FOOTER_Y, footer_left)
        pages_txt = f"Page {page} / {total_pages}" if total_pages else f"Page {page}"
        canv.drawRightString(width - _PAGE_MARGIN, _FOOTER_Y, pages_txt)
        canv.restoreState()

    return decorate


def build_pdf(
    story_factory: Callable[[], list[Flowable]],
    *,
    title: str,
    author: str,
    subject: str,
    footer_left: str,
) -> bytes:
    """Build an A4 PDF with a "Page n / N" footer on every page.

    Platypus only knows the page count once layout is done, so the document
    is laid out twice: a first pass to count pages, a second with the total.
    Our documents are small (a receipt is a few pages at most), so the cost is
    negligible compared with a hand-rolled deferred-canvas trick that relies
    on reportlab internals. ``story_factory`` is called once per pass because
    flowables are consumed (split) by a build.
    """
    _ensure_fonts()

    def render(total_pages: int | None) -> tuple[bytes, int]:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=_PAGE_MARGIN,
            rightMargin=_PAGE_MARGIN,
            topMargin=_PAGE_MARGIN,
            bottomMargin=_PAGE_MARGIN + 6 * mm,
            title=title,
            author=author,
            subject=subject,
            creator=f"Portail famille – {author}",
            lang="fr-FR",
            # Otherwise the canvas starts every page with Helvetica, leaving a
            # non-embedded base-14 font reference in each page's resources.
            initialFontName=FONT_REGULAR,
        )

        decorate = _footer_painter(footer_left, total_pages)
        doc.build(story_factory(), onFirstPage=decorate, onLaterPages=decorate)
        return buffer.getvalue(), doc.page

    _, page_count = render(None)
    data, final_count = render(page_count)
    if final_count != page_count:  # pragma: no cover - footer text never changes layout
        data, _ = render(final_count)
    return data
