"""The « cantine à 1 € » claim as a printable PDF: meals by month and school, the amount to claim."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from cantine_portal.french import format_euros, format_paris_datetime
from cantine_portal.infra.pdf.common import ACCENT, CONTENT_WIDTH, RULE, build_pdf, escape_markup, styles, table_style

__all__ = ["render_claim"]


def render_claim(
    commune_name: str,
    service_name: str,
    period_label: str,
    egalim: bool,
    rows: Sequence[tuple[str, str, int, int]],
    meals: int,
    aid_per_meal_cents: int,
    amount_cents: int,
    *,
    generated_at: datetime | None = None,
) -> bytes:
    """One table (month, school, meals, amount) and its total, with the rule the figures follow.

    ``rows``: (month label, school, meals, amount in cents), already sorted by month then school.
    """
    st = styles()
    title = f"Aide « cantine à 1 € » — {service_name} — {period_label}"

    def story() -> list[Flowable]:
        flow: list[Flowable] = [
            Paragraph(escape_markup(commune_name), st["org"]),
            Spacer(1, 4 * mm),
            Paragraph(escape_markup(title), st["center_title"]),
            Spacer(1, 3 * mm),
            Paragraph(
                "Repas payés, facturés 1 € ou moins, à des familles dont le quotient familial est au plus "
                "de 1 000 €. Aide de l'État par repas : "
                f"{escape_markup(format_euros(aid_per_meal_cents))}"
                + (" (dont 1 € au titre de l'engagement EGAlim)." if egalim else "."),
                st["center"],
            ),
            Spacer(1, 5 * mm),
        ]
        flow += [_claim_table(st, rows, meals, amount_cents), Spacer(1, 4 * mm)]
        if generated_at is not None:
            flow.append(Paragraph(f"Édité le {format_paris_datetime(generated_at)}", st["muted"]))
        return flow

    return build_pdf(
        story, title=title, author=commune_name, subject="Aide cantine à 1 €", footer_left=f"{commune_name} — {title}"
    )


def _claim_table(
    st: dict[str, ParagraphStyle], rows: Sequence[tuple[str, str, int, int]], meals: int, amount_cents: int
) -> Table:
    """Month, school, meals, amount, then the total line; the heading repeats on every page."""
    width = CONTENT_WIDTH
    data = [[Paragraph(h, st["cell_head"]) for h in ("Mois", "École", "Repas", "Aide demandée")]]
    for month, school, count, cents in rows:
        data.append(
            [
                Paragraph(escape_markup(month), st["cell"]),
                Paragraph(escape_markup(school), st["cell"]),
                Paragraph(str(count), st["cell_right"]),
                Paragraph(escape_markup(format_euros(cents)), st["cell_right"]),
            ]
        )
    data.append(
        [
            Paragraph("<b>Total</b>", st["cell"]),
            Paragraph("", st["cell"]),
            Paragraph(f"<b>{meals}</b>", st["cell_right"]),
            Paragraph(f"<b>{escape_markup(format_euros(amount_cents))}</b>", st["cell_right"]),
        ]
    )
    table = Table(data, colWidths=[width * 0.22, width * 0.4, width * 0.14, width * 0.24], repeatRows=1)
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
