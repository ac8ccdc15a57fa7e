"""Back office « Aide cantine à 1 € »: the meals billed at 1 € or less per month, for the State's
claim (CSV and PDF downloads)."""

from __future__ import annotations

import reflex as rx

from cantine_portal.components.admin_forms import checkbox, select_field, submit
from cantine_portal.components.admin_layout import admin_page, table, td
from cantine_portal.components.forms import INPUT_STYLE, field, message_if
from cantine_portal.pages.admin_common import ACCENT_LINK
from cantine_portal.state.admin_pricing import AdminClaimState

C = AdminClaimState


def claim_page() -> rx.Component:
    return admin_page(
        "Aide « cantine à 1 € »",
        message_if(C.error_message, "error"),
        rx.text(
            "Repas payés, facturés 1 € ou moins à des familles dont le quotient familial est au plus de "
            "1 000 €, par mois et par école, pour un quadrimestre. L'aide de l'État est de 3 € par repas, "
            "4 € avec l'engagement EGAlim (voir la documentation des tarifs)."
        ),
        _claim_form(),
        table(
            ["Mois", "École", "Repas", "Aide demandée"],
            rx.fragment(
                rx.foreach(
                    C.rows, lambda r: rx.el.tr(td(r["month"]), td(r["school"]), td(r["meals"]), td(r["amount"]))
                ),
                rx.el.tr(
                    td(rx.el.strong("Total")), td(""), td(rx.el.strong(C.total_meals)), td(rx.el.strong(C.total_amount))
                ),
            ),
            caption="Demande d'aide",
        ),
        rx.text("Aide par repas : ", C.aid_per_meal, size="2"),
        rx.cond(
            C.csv_href != "",
            rx.flex(
                rx.el.a(
                    rx.icon("download", size=16, aria_hidden="true"),
                    " Télécharger le CSV",
                    href=C.csv_href,
                    style=ACCENT_LINK,
                ),
                rx.el.a(
                    rx.icon("file-text", size=16, aria_hidden="true"),
                    " Télécharger le PDF",
                    href=C.pdf_href + "&telecharger=1",
                    style=ACCENT_LINK,
                ),
                gap="1.5rem",
            ),
        ),
        menu="aide-cantine-1-euro",
    )


def _claim_form() -> rx.Component:
    """Which service and four-month period to count, with or without the EGAlim commitment."""
    return rx.el.form(
        rx.flex(
            rx.box(
                select_field("Prestation", "service", "claim-service", C.service_choice, C.service_names),
                width="16rem",
            ),
            rx.box(
                field(
                    "Quadrimestre",
                    rx.el.select(
                        rx.foreach(C.period_values, lambda value, i: rx.el.option(C.period_labels[i], value=value)),
                        id="claim-period",
                        name="period",
                        default_value=C.period,
                        style=INPUT_STYLE,
                    ),
                    "claim-period",
                ),
                width="16rem",
            ),
            checkbox("Engagement EGAlim (+1 € par repas)", "egalim", "claim-egalim", C.egalim),
            submit("Afficher", size="3"),
            gap="0.75rem",
            wrap="wrap",
            align="end",
        ),
        on_submit=C.show,
        key=C.form_key.to_string() + "claim",
    )
