"""Back office: Paiements (the online payments and their receipts)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import grid, input_field, submit, summarised_form
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.forms import INPUT_STYLE, message_if
from cantine_portal.pages.admin_common import LINK
from cantine_portal.state.admin_daily import AdminPaymentsState

Y = AdminPaymentsState


PAYMENT_COLUMNS = (
    "date",
    "family",
    "reference",
    "provider",
    "provider_reference",
    "status",
    "amount",
    "credit",
    "receipt",
)


def _filters() -> rx.Component:
    """The month and provider chosen, sent together by « Afficher » (the CSV link follows them)."""
    return summarised_form(
        rx.flex(
            rx.box(input_field("Mois (vide : tous)", "month", "pay-month", Y.month, type="month"), width="14rem"),
            rx.box(
                rx.vstack(
                    rx.el.label("Prestataire ou moyen", html_for="pay-provider", style={"font_weight": "600"}),
                    rx.el.select(
                        rx.foreach(Y.provider_options, lambda o: rx.el.option(o[1], value=o[0])),
                        id="pay-provider",
                        name="provider",
                        default_value=Y.provider,
                        style=INPUT_STYLE,
                    ),
                    spacing="1",
                    align="stretch",
                ),
                width="16rem",
            ),
            submit("Afficher", size="3"),
            align="end",
            gap="0.75rem",
            wrap="wrap",
        ),
        on_submit=Y.filter,
    )


def _payment_row(r) -> rx.Component:
    """One payment, its cells in the order of the table's headings."""
    return rx.el.tr(*[td(r[k]) for k in PAYMENT_COLUMNS])


def payments_page() -> rx.Component:
    return admin_page(
        "Paiements",
        message_if(Y.error_message, "error"),
        _filters(),
        rx.el.a(
            rx.icon("file-spreadsheet", size=16, aria_hidden="true"),
            " Exporter en CSV pour la comptabilité",
            href=Y.csv_url,
            style=LINK,
        ),
        grid(
            table(
                ["Mois", "Paiements réussis", "Total"],
                rx.foreach(Y.by_month, lambda r: rx.el.tr(td(r[0]), td(r[1]), td(r[2]))),
                caption="Totaux par mois",
            ),
            table(
                ["Jour", "Paiements réussis", "Total"],
                rx.foreach(Y.by_day, lambda r: rx.el.tr(td(r[0]), td(r[1]), td(r[2]))),
                caption="Totaux par jour",
            ),
            min_width="24rem",
        ),
        table(
            ["Date", "Famille", "Référence", "Prestataire", "Réf. prestataire", "Statut", "Montant", "Avoir", "Reçu"],
            rx.foreach(Y.rows, _payment_row),
            caption="Paiements",
        ),
        rx.cond(Y.rows.length() == 0, rx.text("Aucun paiement.")),
    )
