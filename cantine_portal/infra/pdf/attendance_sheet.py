"""The printable attendance sheet ("Effectifs") for the kitchen and the staff, one service on one day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from cantine_portal.french import format_paris_datetime
from cantine_portal.infra.pdf.common import (
    ACCENT,
    CONTENT_WIDTH,
    RULE,
    build_pdf,
    capitalised_long_date,
    escape_markup,
    styles,
    table_style,
)

__all__ = ["render_attendance"]


def render_attendance(
    commune_name: str,
    service_name: str,
    day: date,
    rows: Sequence[tuple[str, str, str, str, bool]],
    by_school: Sequence[tuple[str, int]],
    by_diet: Sequence[tuple[str, int]],
    *,
    generated_at: datetime | None = None,
) -> bytes:
    """A printable list: children (name, school, class, diet, PAI) and the counts the kitchen needs.

    PAI notes (health data) are not printed: the sheet only says "PAI" and refers to the protocol.
    """
    st = styles()
    title = f"Effectifs — {service_name} — {capitalised_long_date(day)}"

    def story() -> list[Flowable]:
        flow: list[Flowable] = [
            Paragraph(escape_markup(commune_name), st["org"]),
            Spacer(1, 4 * mm),
            Paragraph(escape_markup(title), st["center_title"]),
            Spacer(1, 2 * mm),
            Paragraph(f"{len(rows)} enfant(s) inscrit(s) et payé(s)", st["center"]),
            Spacer(1, 5 * mm),
        ]
        flow += _counts(st, "École", by_school)
        flow += _counts(st, "Régime", by_diet)
        flow += [
            Paragraph("Liste des enfants", st["h2"]),
            _children_table(st, rows),
            Spacer(1, 3 * mm),
            Paragraph(
                "PAI : suivre le protocole individuel de l'enfant (consignes détenues par la structure).", st["muted"]
            ),
        ]
        if generated_at is not None:
            flow.append(Paragraph(f"Édité le {format_paris_datetime(generated_at)}", st["muted"]))
        return flow

    return build_pdf(
        story, title=title, author=commune_name, subject="Effectifs", footer_left=f"{commune_name} — {title}"
    )


def _counts(st: dict[str, ParagraphStyle], heading: str, items: Sequence[tuple[str, int]]) -> list[Flowable]:
    """How many children per school or per diet: what the kitchen prepares for."""
    width = CONTENT_WIDTH
    data = [[Paragraph(heading, st["cell_head"]), Paragraph("Nombre", st["cell_head"])]]
    data += [[Paragraph(escape_markup(label), st["cell"]), Paragraph(str(n), st["cell_right"])] for label, n in items]
    table = Table(data, colWidths=[width * 0.6, width * 0.2], hAlign="LEFT")
    table.setStyle(table_style([("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE), ("BOX", (0, 0), (-1, -1), 0.6, ACCENT)]))
    return [table, Spacer(1, 4 * mm)]


def _children_table(st: dict[str, ParagraphStyle], rows: Sequence[tuple[str, str, str, str, bool]]) -> Table:
    """One line per child; its heading repeats on every page. A PAI is only flagged, never detailed."""
    width = CONTENT_WIDTH
    data = [[Paragraph(h, st["cell_head"]) for h in ("Enfant", "École", "Classe", "Régime", "PAI")]]
    for name, school, class_name, diet, pai in rows:
        data.append(
            [
                Paragraph(escape_markup(name), st["cell"]),
                Paragraph(escape_markup(school), st["cell"]),
                Paragraph(escape_markup(class_name), st["cell"]),
                Paragraph(escape_markup(diet), st["cell"]),
                Paragraph("<b>PAI</b>" if pai else "", st["cell"]),
            ]
        )
    table = Table(data, colWidths=[width * 0.3, width * 0.28, width * 0.1, width * 0.2, width * 0.12], repeatRows=1)
    table.setStyle(
        table_style(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
                ("BOX", (0, 0), (-1, -1), 0.6, ACCENT),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table
