"""The régie's journal as a PDF: the period's movements and its totals per channel."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer, Table

from cantine_portal.french import format_paris_datetime
from cantine_portal.infra.pdf.common import ACCENT, CONTENT_WIDTH, RULE, build_pdf, escape_markup, styles, table_style

__all__ = ["render_journal"]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> Table:
    st = styles()
    data = [[Paragraph(h, st["cell_head"]) for h in header]]
    data += [
        [
            Paragraph(escape_markup(cell), st["cell_right"] if i == len(row) - 1 else st["cell"])
            for i, cell in enumerate(row)
        ]
        for row in rows
    ]
    table = Table(data, colWidths=[CONTENT_WIDTH * w for w in widths], repeatRows=1)
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


def render_journal(
    commune_name: str,
    title: str,
    movements: Sequence[Sequence[str]],
    totals: Sequence[tuple[str, str]],
    summary: Sequence[str],
    *,
    closed_note: str = "",
    generated_at: datetime | None = None,
) -> bytes:
    """``movements``: rows of (date, nature, libellé, famille, référence, montant); ``totals``: (canal, montant)."""
    st = styles()

    def story() -> list[Flowable]:
        flow: list[Flowable] = [
            Paragraph(escape_markup(commune_name), st["org"]),
            Spacer(1, 4 * mm),
            Paragraph(escape_markup(title), st["center_title"]),
            Spacer(1, 4 * mm),
        ]
        if closed_note:
            flow += [Paragraph(escape_markup(closed_note), st["center"]), Spacer(1, 3 * mm)]
        flow += [
            Paragraph("Totaux par mode de paiement", st["h2"]),
            _table(("Canal", "Montant (€)"), totals, (0.7, 0.3)),
            Spacer(1, 3 * mm),
        ]
        flow += [Paragraph(escape_markup(line), st["muted"]) for line in summary]
        flow += [
            Spacer(1, 4 * mm),
            Paragraph("Mouvements", st["h2"]),
            _table(
                ("Date", "Nature", "Libellé", "Famille", "Référence", "Montant (€)"),
                movements,
                (0.15, 0.12, 0.33, 0.14, 0.14, 0.12),
            ),
        ]
        if generated_at is not None:
            flow.append(Paragraph(f"Édité le {format_paris_datetime(generated_at)}", st["muted"]))
        return flow

    return build_pdf(
        story, title=title, author=commune_name, subject="Journal de la régie", footer_left=f"{commune_name} — {title}"
    )
