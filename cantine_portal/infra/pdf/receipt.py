"""The payment receipt ("Reçu de paiement"): one A4 PDF per paid basket.

Callers gather the figures into :class:`ReceiptData` and get PDF bytes back, so
rendering can be unit tested and run in the helper process (:mod:`.isolated`)
without a database. Amounts are checked before drawing: a receipt that does not
add up is refused rather than printed.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.platypus import Flowable, HRFlowable, Image, KeepTogether, Paragraph, Spacer, Table

from cantine_portal.french import (
    PARIS,
    format_euros,
    format_paris_datetime,
    format_weekday_numeric_date,
    plural,
    require_aware,
)
from cantine_portal.infra.pdf.common import (
    ACCENT,
    BAND,
    CONTENT_WIDTH,
    FONT_BOLD,
    HEADER_BG,
    INK,
    RULE,
    build_pdf,
    commune_phrase,
    escape_markup,
    fr_typo,
    styles,
    table_style,
)

__all__ = ["ReceiptData", "ReceiptLine", "render_receipt"]


@dataclass(frozen=True)
class ReceiptLine:
    """One paid booking: a child, a service (cantine, garderie…) on one day."""

    child_name: str
    service_name: str
    day: date
    unit_price_cents: int


@dataclass(frozen=True)
class ReceiptData:
    """Everything printed on a payment receipt, already resolved by the caller.

    Amounts are integer cents. ``issued_at`` must be timezone-aware: the
    receipt shows Paris local time and a naive value would be ambiguous.
    """

    commune_name: str
    commune_address_lines: list[str]
    commune_email: str
    commune_phone: str
    number: str
    issued_at: datetime
    family_name: str
    payer_name: str
    payer_email: str
    lines: list[ReceiptLine]
    subtotal_cents: int
    credit_used_cents: int
    total_cents: int
    payment_method: str
    provider_reference: str
    # the reference the parent saw on the portal and in the ticket e-mail (P-AAAAMMJJ-…)
    portal_reference: str = ""
    # the commune's identity: main colour (hex) and logo (PNG/JPEG bytes; None = name only)
    accent_colour: str = "#1d4e89"
    logo: bytes | None = None
    # the family's sum owed to the régie (a meal billed at the roll call, an unpaid cheque), paid too
    debt_cents: int = 0


def _check_receipt_amounts(data: ReceiptData) -> None:
    """Refuse inconsistent figures rather than print a wrong receipt.

    A receipt is an accounting document handed to families (and sometimes to
    employers or the CAF); printing a total that does not add up is worse than
    failing loudly, so a bug upstream surfaces here instead of in a complaint.
    """
    require_aware(data.issued_at)
    lines_sum = sum(line.unit_price_cents for line in data.lines)
    if any(line.unit_price_cents < 0 for line in data.lines):
        raise ValueError("receipt line prices must be >= 0")
    if data.credit_used_cents < 0 or data.total_cents < 0 or data.debt_cents < 0:
        raise ValueError("credit used, sum owed and total must be >= 0")
    if lines_sum != data.subtotal_cents:
        raise ValueError(f"subtotal {data.subtotal_cents} != sum of lines {lines_sum}")
    if data.subtotal_cents - data.credit_used_cents + data.debt_cents != data.total_cents:
        raise ValueError(
            f"total {data.total_cents} != subtotal {data.subtotal_cents} - credit {data.credit_used_cents}"
            f" + sum owed {data.debt_cents}"
        )


def _sorted_lines(lines: Sequence[ReceiptLine]) -> list[ReceiptLine]:
    """Group by child (case-insensitive, stable for homonyms) then date, then service."""
    return sorted(
        lines,
        key=lambda ln: (ln.child_name.casefold(), ln.child_name, ln.day, ln.service_name.casefold()),
    )


def _accent(data: ReceiptData) -> colors.Color:
    """The commune's colour (validated on « Paramètres »), the default blue if unreadable."""
    try:
        return colors.HexColor(data.accent_colour)
    except ValueError:
        return ACCENT


def _logo_flowable(data: ReceiptData) -> Flowable | None:
    """The commune's logo, 16 mm high, or None (no logo, or bytes the drawer cannot read)."""
    if not data.logo:
        return None
    try:
        width, height = ImageReader(io.BytesIO(data.logo)).getSize()
    except Exception:  # noqa: BLE001 - a bad logo must never stop a receipt
        return None
    if width <= 0 or height <= 0:
        return None
    shown_h = 16 * mm
    shown_w = min(60 * mm, shown_h * width / height)
    logo = Image(io.BytesIO(data.logo), width=shown_w, height=shown_w * height / width)
    logo.hAlign = "LEFT"
    return logo


def _receipt_header(data: ReceiptData, st: dict[str, ParagraphStyle], width: float) -> Table:
    """Two columns: the commune identity (issuer) on the left, receipt id on the right."""
    org = ParagraphStyle("org_commune", parent=st["org"], textColor=_accent(data))
    logo = _logo_flowable(data)
    identity: list[Flowable] = [logo, Spacer(1, 2 * mm)] if logo is not None else []
    identity.append(Paragraph(escape_markup(data.commune_name), org))
    for line in data.commune_address_lines:
        if line.strip():
            identity.append(Paragraph(escape_markup(line), st["base"]))
    contact_bits = []
    if data.commune_email:
        contact_bits.append(f"Courriel : {escape_markup(data.commune_email)}")
    if data.commune_phone:
        contact_bits.append(f"Tél. : {escape_markup(data.commune_phone)}")
    for bit in contact_bits:
        identity.append(Paragraph(bit, st["muted"]))

    receipt_id: list[Flowable] = [
        Paragraph("Reçu de paiement", st["doc_title_right"]),
        Spacer(1, 2 * mm),
        Paragraph(f"<b>N°</b>\u00a0{escape_markup(data.number)}", st["right"]),
        Paragraph(f"Émis le {format_paris_datetime(data.issued_at)}", st["right"]),
    ]
    table = Table([[identity, receipt_id]], colWidths=[width * 0.55, width * 0.45])
    table.setStyle(
        table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _receipt_parties(data: ReceiptData, st: dict[str, ParagraphStyle], width: float) -> Table:
    """Who paid, for which family account (they can differ: a grand-parent pays)."""
    rows = [
        [Paragraph("<b>Famille</b>", st["base"]), Paragraph(escape_markup(data.family_name), st["base"])],
        [Paragraph("<b>Payeur</b>", st["base"]), Paragraph(escape_markup(data.payer_name), st["base"])],
        [Paragraph("<b>Courriel</b>", st["base"]), Paragraph(escape_markup(data.payer_email), st["base"])],
    ]
    table = Table(rows, colWidths=[30 * mm, width - 30 * mm])
    table.setStyle(
        table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (0, -1), BAND),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _receipt_lines_table(lines: Sequence[ReceiptLine], st: dict[str, ParagraphStyle], width: float) -> Table:
    """Detail table; header repeated on each page, one shaded band per child."""
    col_date, col_price = 32 * mm, 28 * mm
    col_child = 45 * mm
    col_service = width - col_child - col_date - col_price
    rows: list[list[Any]] = [
        [
            Paragraph("Enfant", st["cell_head"]),
            Paragraph("Prestation", st["cell_head"]),
            Paragraph("Date", st["cell_head"]),
            Paragraph("Prix unitaire", ParagraphStyle("hr", parent=st["cell_head"], alignment=TA_RIGHT)),
        ]
    ]
    style: list[tuple[Any, ...]] = [
        ("FONTSIZE", (0, 0), (-1, -1), 9),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_BG),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
        ("LINEBELOW", (0, -1), (-1, -1), 0.8, ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (3, 1), (3, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if not lines:
        rows.append([Paragraph("Aucune prestation", st["cell"]), "", "", ""])
        style.append(("SPAN", (0, 1), (-1, 1)))
    previous_child: str | None = None
    group_index = -1
    for row_index, line in enumerate(_sorted_lines(lines), start=1):
        if line.child_name != previous_child:
            group_index += 1
            previous_child = line.child_name
            if row_index > 1:
                style.append(("LINEABOVE", (0, row_index), (-1, row_index), 0.5, RULE))
        if group_index % 2 == 1:
            style.append(("BACKGROUND", (0, row_index), (-1, row_index), BAND))
        rows.append(
            [
                Paragraph(escape_markup(line.child_name), st["cell"]),
                Paragraph(escape_markup(line.service_name), st["cell"]),
                # Paragraphs everywhere (not bare strings) so that all cells of a
                # row share the same baseline when a long name wraps.
                Paragraph(format_weekday_numeric_date(line.day), st["cell"]),
                Paragraph(format_euros(line.unit_price_cents), st["cell_right"]),
            ]
        )
    table = Table(rows, colWidths=[col_child, col_service, col_date, col_price], repeatRows=1)
    table.setStyle(table_style(style))
    return table


def _receipt_totals(data: ReceiptData, st: dict[str, ParagraphStyle], width: float) -> Table:
    """Right-aligned totals: the credit is shown as a deduction from the subtotal, the sum owed to
    the régie paid with the days as an addition."""
    credit = format_euros(-data.credit_used_cents) if data.credit_used_cents else format_euros(0)
    rows = [
        ["Sous-total", format_euros(data.subtotal_cents)],
        ["Avoir utilisé", credit],
        *([["Somme due à la régie", format_euros(data.debt_cents)]] if data.debt_cents else []),
        ["Total payé", format_euros(data.total_cents)],
    ]
    last = len(rows) - 1
    table = Table(rows, colWidths=[45 * mm, 32 * mm], hAlign="RIGHT")
    table.setStyle(
        table_style(
            [
                ("FONTSIZE", (0, 0), (-1, -1), 9.5),
                ("ALIGN", (1, 0), (1, -1), "RIGHT"),
                ("FONTNAME", (0, last), (-1, last), FONT_BOLD),
                ("FONTSIZE", (0, last), (-1, last), 11),
                ("LINEABOVE", (0, last), (-1, last), 0.8, INK),
                ("BACKGROUND", (0, last), (-1, last), HEADER_BG),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _receipt_payment(data: ReceiptData, st: dict[str, ParagraphStyle], width: float) -> Table:
    """How it was paid: the method, the portal's reference (the one the parent saw, P-…) and the
    provider's (asked for by the régie to find the bank's transaction)."""
    payment_rows = [
        [Paragraph("<b>Moyen de paiement</b>", st["base"]), Paragraph(escape_markup(data.payment_method), st["base"])],
        [
            Paragraph("<b>Référence du paiement (portail)</b>", st["base"]),
            Paragraph(escape_markup(data.portal_reference or "—"), st["base"]),
        ],
        [
            Paragraph("<b>Référence chez le prestataire de paiement</b>", st["base"]),
            Paragraph(escape_markup(data.provider_reference or "—"), st["base"]),
        ],
    ]
    payment = Table(payment_rows, colWidths=[62 * mm, width - 62 * mm])
    payment.setStyle(
        table_style(
            [
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return payment


def render_receipt(data: ReceiptData, *, generated_at: datetime | None = None) -> bytes:
    """Render the A4 "Reçu de paiement" for one paid basket and return PDF bytes.

    ``generated_at`` (aware, defaults to now) is printed in the footer: a
    receipt can be re-downloaded long after the payment, and the footer tells
    which copy the reader holds without changing the issue date.

    Raises:
        ValueError: if ``issued_at``/``generated_at`` is naive or the amounts
            do not add up (see :func:`_check_receipt_amounts`).
    """
    _check_receipt_amounts(data)
    generated = generated_at or datetime.now(PARIS)
    require_aware(generated)
    st = styles()
    width = CONTENT_WIDTH
    footer = f"Reçu n° {data.number} — document généré le {format_paris_datetime(generated)}"

    def story() -> list[Flowable]:
        count_txt = plural(len(data.lines), "prestation")
        return [
            _receipt_header(data, st, width),
            Spacer(1, 5 * mm),
            HRFlowable(width="100%", thickness=1.6, color=_accent(data), spaceAfter=5 * mm),
            _receipt_parties(data, st, width),
            Paragraph(f"Réservations réglées ({count_txt})", st["h2"]),
            _receipt_lines_table(data.lines, st, width),
            Spacer(1, 4 * mm),
            KeepTogether(
                [
                    _receipt_totals(data, st, width),
                    Spacer(1, 6 * mm),
                    Paragraph("Règlement", st["h2"]),
                    _receipt_payment(data, st, width),
                    Spacer(1, 6 * mm),
                    Paragraph(
                        fr_typo(
                            "Ce reçu atteste du paiement des réservations ci-dessus auprès de la "
                            "régie de restauration scolaire et périscolaire de "
                            f"{escape_markup(commune_phrase(data.commune_name))}. "
                            "Conservez-le : il peut vous être demandé comme justificatif."
                        ),
                        st["muted"],
                    ),
                ]
            ),
        ]

    return build_pdf(
        story,
        title=f"Reçu de paiement n° {data.number}",
        author=data.commune_name,
        subject=f"Reçu de paiement – {data.family_name}",
        footer_left=footer,
    )
