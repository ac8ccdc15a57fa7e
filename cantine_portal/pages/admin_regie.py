"""Back office: « Régie », the journal of a day or a month, its downloads and its closure."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import input_field, section, select_field, submit, summarised_form
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.forms import message_if
from cantine_portal.pages.admin_rollcall import unbooked_block
from cantine_portal.state.admin_regie import AdminRegieState as R

LINK = {
    "color": "var(--accent-12)",
    "font_weight": "600",
    "text_decoration": "underline",
    "display": "inline-flex",
    "align_items": "center",
    "gap": "0.3rem",
}


def _period_form() -> rx.Component:
    return summarised_form(
        rx.flex(
            rx.box(
                select_field("Période", "kind", "regie-kind", R.kind, [("day", "Jour"), ("month", "Mois")], R.errors),
                width="10rem",
            ),
            rx.box(
                input_field(
                    "Date (pour un mois : un jour de ce mois)", "day", "regie-day", R.day, R.errors, type="date"
                ),
                width="18rem",
            ),
            submit("Afficher", size="3"),
            align="end",
            gap="0.75rem",
            wrap="wrap",
        ),
        on_submit=R.show,
    )


def _closure() -> rx.Component:
    """Closed: read-only, said so. Open: « Clôturer », then a confirmation."""
    return rx.cond(
        R.closed,
        rx.callout(
            R.closed_label + " : lecture seule ; une correction sera une nouvelle écriture datée.",
            icon="lock",
            color_scheme="gray",
            role="status",
        ),
        rx.cond(
            R.confirming,
            rx.el.div(
                rx.text("Clôturer cette période ? Elle ne pourra plus être modifiée.", weight="bold"),
                rx.flex(
                    rx.button("Oui, clôturer", on_click=R.confirm_close, color_scheme="red"),
                    rx.button("Annuler", on_click=R.cancel_close, variant="soft"),
                    gap="0.75rem",
                ),
                role="alertdialog",
                aria_label="Confirmer la clôture",
            ),
            rx.button(rx.cond(R.kind == "day", "Clôturer la journée", "Clôturer le mois"), on_click=R.ask_close),
        ),
    )


def regie_page() -> rx.Component:
    return admin_page(
        "Régie",
        message_if(R.success_message, "success"),
        message_if(R.error_message, "error"),
        _period_form(),
        rx.heading(R.title, as_="h2", size="5"),
        rx.flex(
            rx.el.a(
                rx.icon("file-spreadsheet", size=16, aria_hidden="true"),
                " Télécharger le journal (CSV)",
                href=R.csv_url,
                style=LINK,
            ),
            rx.el.a(
                rx.icon("file-text", size=16, aria_hidden="true"),
                " Télécharger le journal (PDF)",
                href=R.pdf_url,
                style=LINK,
            ),
            gap="1.5rem",
            wrap="wrap",
        ),
        section(
            "Totaux par moyen de paiement",
            table(
                ["Moyen", "Total"],
                rx.foreach(R.totals, lambda r: rx.el.tr(td(r[0]), td(r[1]))),
                caption="Totaux de la période",
            ),
            rx.cond(R.totals.length() == 0, rx.text("Aucun mouvement.")),
            rx.el.ul(rx.foreach(R.summary, lambda line: rx.el.li(line)), style={"margin": "0.5rem 0 0 1.2rem"}),
        ),
        _closure(),
        table(
            ["Date", "Nature", "Libellé", "Famille", "Référence", "Montant (€)"],
            rx.foreach(R.rows, lambda r: rx.el.tr(td(r[0]), td(r[1]), td(r[2]), td(r[3]), td(r[4]), td(r[5]))),
            caption="Mouvements",
        ),
        unbooked_block(),
    )
